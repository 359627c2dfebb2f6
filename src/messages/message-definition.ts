/**
 * @module messages/message-definition
 * Events and commands are named zod schemas. A definition is the single source of a message's type:
 * handlers infer their payload from it, and the orchestrator validates incoming payloads against it
 * before anything runs.
 */
import type { z } from 'zod';
import { ValidationError } from '../errors/validation-error.ts';

export type MessageKind = 'event' | 'command';

/** A named, schema-checked message type. Create one with `defineEvent` or `defineCommand`. */
export interface MessageDefinition<
  Name extends string = string,
  Schema extends z.ZodType = z.ZodType,
  Kind extends MessageKind = MessageKind,
> {
  readonly kind: Kind;
  readonly name: Name;
  readonly schema: Schema;
  /** Validates and returns the parsed payload, or throws `ValidationError`. */
  parse(payload: unknown): z.output<Schema>;
}

export type EventDefinition<Name extends string = string, Schema extends z.ZodType = z.ZodType> = MessageDefinition<
  Name,
  Schema,
  'event'
>;
export type CommandDefinition<Name extends string = string, Schema extends z.ZodType = z.ZodType> = MessageDefinition<
  Name,
  Schema,
  'command'
>;

/** The parsed payload type of a message definition. */
export type PayloadOf<M> = M extends MessageDefinition<string, infer S> ? z.output<S> : never;
/** What a caller may pass in (before zod defaults and transforms). */
export type InputOf<M> = M extends MessageDefinition<string, infer S> ? z.input<S> : never;

function define<Name extends string, Schema extends z.ZodType, Kind extends MessageKind>(
  kind: Kind,
  name: Name,
  schema: Schema,
): MessageDefinition<Name, Schema, Kind> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`a ${kind} needs a non-empty name`);
  if (name.startsWith('sagaflow.')) throw new TypeError(`'${name}': the 'sagaflow.' prefix is reserved`);
  return Object.freeze({
    kind,
    name,
    schema,
    parse(payload: unknown) {
      let result: ReturnType<typeof schema.safeParse>;
      try {
        result = schema.safeParse(payload);
      } catch (error) {
        // A payload that cannot even be read (a throwing getter, a revoked proxy) is as invalid as a wrong one.
        const reason = error instanceof Error ? error.message : 'unreadable';
        throw new ValidationError(name, [{ code: 'custom', message: `unreadable: ${reason}`, path: [], input: undefined }]);
      }
      if (!result.success) throw new ValidationError(name, result.error.issues);
      return result.data;
    },
  });
}

/**
 * Declares an event: something that happened, published to any number of subscribers.
 *
 * @example
 * const OrderCreated = defineEvent('OrderCreated', z.object({ orderId: z.string(), total: z.number() }));
 */
export function defineEvent<const Name extends string, Schema extends z.ZodType>(
  name: Name,
  schema: Schema,
): EventDefinition<Name, Schema> {
  return define('event', name, schema);
}

/**
 * Declares a command: a request for one handler to do something.
 *
 * @example
 * const ProcessPayment = defineCommand('ProcessPayment', z.object({ orderId: z.string(), amount: z.number() }));
 */
export function defineCommand<const Name extends string, Schema extends z.ZodType>(
  name: Name,
  schema: Schema,
): CommandDefinition<Name, Schema> {
  return define('command', name, schema);
}
