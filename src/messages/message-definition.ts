/**
 * @module messages/message-definition
 * Events and commands are named zod schemas. A definition is the single source of a message's type:
 * handlers infer their payload from it, and the orchestrator validates incoming payloads against it
 * before anything runs.
 */
import { z } from 'zod';
import { ValidationError } from '../errors/validation-error.ts';
import type { RetryPolicy } from '../runtime/retry-policy.ts';
import { commandOutcomes, type CommandOutcomes } from './command-outcomes.ts';

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
/** How a command's handler runs, unless its registration says otherwise. */
export interface CommandPolicy {
  /** Each attempt's time limit in ms; none by default. */
  readonly timeoutMs: number | undefined;
  /** Retries after a failed or timed-out attempt (exponential backoff with jitter). Default: none. */
  readonly retry: RetryPolicy | undefined;
  /** The worker group that handles it (Orchestratum's `Target`); any handler by default. */
  readonly target: string | undefined;
}

export interface CommandDefinition<Name extends string = string, Schema extends z.ZodType = z.ZodType, Output extends z.ZodType = z.ZodType>
  extends MessageDefinition<Name, Schema, 'command'>,
    CommandOutcomes<Name, Output> {
  /** What the handler returns (`z.unknown()` when the command declares none). */
  readonly output: Output;
  readonly policy: CommandPolicy;
}

export interface CommandOptions<Output extends z.ZodType> {
  /** The handler's result, validated before it travels back in `completed`. */
  readonly output?: Output;
  readonly timeoutMs?: number;
  /** A number is `maxRetries` with the default backoff (100 ms doubling, ±20 % jitter). */
  readonly retry?: RetryPolicy | number;
  readonly target?: string;
}

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
 * Declares a command: a request for one handler to do something. Its outcome comes back as events
 * (`completed`, `failed`, `cancelled`, `timedOut`) when a command handler runs it.
 *
 * @example
 * const ChargeCard = defineCommand('ChargeCard', z.object({ orderId: z.string(), amount: z.number() }), {
 *   output: z.object({ transactionId: z.string() }),
 *   timeoutMs: 5_000,
 *   retry: 3,
 * });
 * saga.during('Charging', (s) => s.when(ChargeCard.completed).transitionTo('Paid'));
 */
export function defineCommand<const Name extends string, Schema extends z.ZodType, Output extends z.ZodType = z.ZodUnknown>(
  name: Name,
  schema: Schema,
  options: CommandOptions<Output> = {},
): CommandDefinition<Name, Schema, Output> {
  const base = define('command', name, schema);
  const output = (options.output ?? z.unknown()) as Output;
  const { timeoutMs, retry, target } = options;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new TypeError(`defineCommand('${name}'): timeoutMs must be a positive number of ms, got ${String(timeoutMs)}`);
  }
  if (target !== undefined && (typeof target !== 'string' || target.length === 0)) {
    throw new TypeError(`defineCommand('${name}'): target must be a non-empty string`);
  }
  const policy: CommandPolicy = Object.freeze({
    timeoutMs,
    retry: typeof retry === 'number' ? Object.freeze({ maxRetries: retry }) : retry,
    target,
  });
  return Object.freeze({ ...base, output, policy, ...commandOutcomes(name, output, (n, s) => define('event', n, s)) });
}
