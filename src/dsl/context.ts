/**
 * @module dsl/context
 * What user code sees: guards and conditions get a read-only view; actions get the event payload and
 * the instance data to change; compensation handlers get their arguments.
 */
import type { z } from 'zod';
import type { Envelope } from '../messages/envelope.ts';
import type { CommandDefinition, EventDefinition, InputOf } from '../messages/message-definition.ts';
import type { CompensationDefinition } from './compensation-definition.ts';

// biome-ignore lint: constructor signatures need any
export type ErrorClass<E extends Error = Error> = abstract new (...args: any[]) => E;

/** Who the event is being applied to. */
export interface InstanceInfo {
  readonly id: string;
  readonly sagaName: string;
  readonly correlationId: string;
  /** The state before this event. */
  readonly state: string;
  /** The version read (0 when this event creates the instance). */
  readonly version: number;
  /** True when this event creates the instance. */
  readonly isNew: boolean;
}

export interface GuardContext<Data, Payload> {
  readonly event: Payload;
  readonly data: Readonly<Data>;
  readonly envelope: Envelope<Payload>;
  readonly instance: InstanceInfo;
}

export interface OutgoingOptions {
  /** Defaults to the instance's correlation id. */
  readonly correlationId?: string;
  readonly messageId?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A command's worker group, instead of its definition's `target`. */
  readonly target?: string;
}

/** When a scheduled event is due: after a delay from now, or at a time. */
export type ScheduleTiming = { readonly delayMs: number } | { readonly at: Date };

export interface ScheduleOptions {
  /**
   * One pending schedule per key: scheduling again under the same key replaces (supersedes) the pending
   * one, whose message will then be dropped if it still arrives. Default: the event's name.
   */
  readonly key?: string;
}

export interface CompensationApi {
  /** Pushes a compensation on the instance's LIFO stack; its args are checked against its schema now. */
  add<C extends CompensationDefinition>(compensation: C, args: z.input<C['schema']>): void;
  add(name: string, args: unknown): void;
  /** Requests a compensation run once this event has committed (the same as the `compensate()` verb). */
  compensate(): void;
  /** Entries on the stack, including those added by this event. */
  readonly size: number;
}

export interface ActionContext<Data, Payload> {
  readonly event: Payload;
  readonly envelope: Envelope<Payload>;
  /** The instance's data: change it in place; it is validated and written when the event commits. */
  data: Data;
  readonly instance: InstanceInfo;
  readonly compensation: CompensationApi;
  /** Publishes an event once this event's write has committed. */
  publish<M extends EventDefinition>(message: M, payload: InputOf<M>, options?: OutgoingOptions): void;
  /** Sends a command once this event's write has committed. */
  send<M extends CommandDefinition>(message: M, payload: InputOf<M>, options?: OutgoingOptions): void;
  /**
   * Schedules `message` for this instance, once this event's write has committed. It arrives as an
   * ordinary correlated event when due, unless cancelled (`unschedule`) or superseded first.
   */
  schedule<M extends EventDefinition>(message: M, payload: InputOf<M>, when: ScheduleTiming, options?: ScheduleOptions): void;
  /** Cancels the pending schedule under `key` (an event's name by default); nothing happens if there is none. */
  unschedule(key: string | EventDefinition): void;
  /**
   * Sends `command` as a request, once this event's write has committed, and waits for its answer: the
   * command's `completed`, `failed` or `cancelled` event from its handler, or `timedOut` when no answer
   * came within `timeoutMs` (a durable schedule). Only the answer to the latest request under a key
   * applies. Returns the request's id (the command's message id).
   */
  request<C extends CommandDefinition>(command: C, payload: InputOf<C>, options: RequestOptions): string;
  /** The orchestrator clock's current time. */
  now(): Date;
}

export interface RequestOptions {
  /** How long to wait for an answer before `timedOut` arrives. */
  readonly timeoutMs: number;
  /** One pending request per key; a new request under it supersedes the old. Default `request:<Command>`. */
  readonly key?: string;
  /** The command's worker group, instead of its definition's `target`. */
  readonly target?: string;
}

export interface CatchContext<Data, Payload, E> extends ActionContext<Data, Payload> {
  /** The error the earlier activity threw. */
  readonly error: E;
}

export interface CompensationContext<Data> {
  readonly instance: InstanceInfo;
  /** The instance data as last written. */
  readonly data: Readonly<Data>;
  /** How many times this step has been started, this run included (more than 1 after a crash or retry). */
  readonly attempt: number;
  publish<M extends EventDefinition>(message: M, payload: InputOf<M>, options?: OutgoingOptions): void;
  send<M extends CommandDefinition>(message: M, payload: InputOf<M>, options?: OutgoingOptions): void;
  now(): Date;
}

export type Guard<Data, Payload> = (ctx: GuardContext<Data, Payload>) => boolean;
export type Action<Data, Payload> = (ctx: ActionContext<Data, Payload>) => void | PromiseLike<void>;
