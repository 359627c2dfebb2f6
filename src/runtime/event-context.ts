/**
 * @module runtime/event-context
 * The `ctx` an event's guards and actions receive. It also records what the chain decided (target
 * state, finalize, compensate) and what it produced (outgoing messages, compensations), which the
 * orchestrator applies only when the write commits.
 */
import type { z } from 'zod';
import { UnknownCompensationError } from '../errors/compensation-error.ts';
import { ValidationError } from '../errors/validation-error.ts';
import { createEnvelope, type Envelope, type EnvelopeOptions } from '../messages/envelope.ts';
import type { CommandDefinition, MessageDefinition } from '../messages/message-definition.ts';
import { commandHeaders } from '../commands/headers.ts';
import type { CompensationEntry } from '../repository/types.ts';
import type { CompensationDefinition } from '../dsl/compensation-definition.ts';
import type {
  ActionContext,
  CompensationApi,
  InstanceInfo,
  OutgoingOptions,
  RequestOptions,
  ScheduleOptions,
  ScheduleTiming,
} from '../dsl/context.ts';
import { uuidv7 } from '../messages/uuid-v7.ts';
import { REQUEST_HEADER, requestKey } from './requests.ts';
import { SCHEDULE_SAGA_HEADER, type ScheduleOp } from './schedules.ts';
import type { CompiledSaga } from '../core/compiled-saga.ts';
import { deepFreeze } from '../core/deep-freeze.ts';
import { toJsonValue } from '../core/json-value.ts';

const NONE: readonly Envelope[] = Object.freeze([]);

/** Builds outgoing envelopes caused by one message; shared by event and compensation contexts. */
export class Outbox {
  #messages: Envelope[] | undefined;

  constructor(
    private readonly correlationId: string,
    private readonly causationId: string,
    private readonly now: () => number,
  ) {}

  get messages(): readonly Envelope[] {
    return this.#messages ?? NONE;
  }

  add(message: MessageDefinition, payload: unknown, options: OutgoingOptions | undefined): void {
    const parsed = message.parse(payload);
    const envelopeOptions: { -readonly [K in keyof EnvelopeOptions]: EnvelopeOptions[K] } = {
      correlationId: options?.correlationId ?? this.correlationId,
      causationId: this.causationId,
    };
    if (options?.messageId !== undefined) envelopeOptions.messageId = options.messageId;
    const headers = message.kind === 'command' ? commandHeaders(message as CommandDefinition, options?.headers, options?.target) : options?.headers;
    if (headers !== undefined) envelopeOptions.headers = headers;
    (this.#messages ??= []).push(createEnvelope(message.kind, message.name, parsed, envelopeOptions, new Date(this.now())));
  }
}

/** `ctx.compensation`: pushes onto the event's additions, which commit with the event. */
class EventCompensation implements CompensationApi {
  readonly #ctx: EventContext;

  constructor(ctx: EventContext) {
    this.#ctx = ctx;
  }

  add(compensation: CompensationDefinition | string, args: unknown): void {
    this.#ctx.addCompensation(compensation, args);
  }

  compensate(): void {
    this.#ctx.compensateRequested = true;
  }

  get size(): number {
    return this.#ctx.stackSize;
  }
}

export class EventContext implements ActionContext<unknown, unknown> {
  readonly event: unknown;
  readonly envelope: Envelope;
  data: unknown;
  readonly instance: InstanceInfo;
  /** Set while a `catch` branch runs. */
  error: unknown = undefined;

  target: string | undefined = undefined;
  finalize = false;
  compensateRequested = false;
  added: CompensationEntry[] | undefined = undefined;
  /** `schedule`/`unschedule` calls, in order; applied when the event commits. */
  scheduleOps: ScheduleOp[] | undefined = undefined;
  #outbox: Outbox | undefined;
  #compensation: EventCompensation | undefined;
  readonly #saga: CompiledSaga;
  readonly #now: () => number;
  readonly #baseStackSize: number;

  constructor(
    saga: CompiledSaga,
    envelope: Envelope,
    payload: unknown,
    data: unknown,
    instance: InstanceInfo,
    baseStackSize: number,
    now: () => number,
  ) {
    this.#saga = saga;
    this.envelope = envelope;
    this.event = payload;
    this.data = data;
    this.instance = instance;
    this.#now = now;
    this.#baseStackSize = baseStackSize;
  }

  get compensation(): CompensationApi {
    return (this.#compensation ??= new EventCompensation(this));
  }

  get stackSize(): number {
    return this.#baseStackSize + (this.added?.length ?? 0);
  }

  /** Messages produced so far; they leave only after the event commits. */
  get outgoing(): readonly Envelope[] {
    return this.#outbox?.messages ?? NONE;
  }

  get outbox(): Outbox {
    return (this.#outbox ??= new Outbox(this.instance.correlationId, this.envelope.messageId, this.#now));
  }

  addCompensation(compensation: CompensationDefinition | string, args: unknown): void {
    const name = typeof compensation === 'string' ? compensation : compensation?.name;
    const spec = this.#saga.compensations.get(name);
    if (!spec) throw new UnknownCompensationError(this.#saga.name, String(name), [...this.#saga.compensations.keys()]);
    const result = (spec.schema as z.ZodType).safeParse(args);
    if (!result.success) throw new ValidationError(name, result.error.issues, 'compensation arguments');
    // Stored as JSON: what cannot survive a restart must fail here, not after a crash.
    const stored = deepFreeze(toJsonValue(result.data) ?? null);
    (this.added ??= []).push(Object.freeze({ name, args: stored, attempts: 0 }));
  }

  publish(message: MessageDefinition, payload: unknown, options?: OutgoingOptions): void {
    this.outbox.add(message, payload, options);
  }

  send(message: MessageDefinition, payload: unknown, options?: OutgoingOptions): void {
    this.outbox.add(message, payload, options);
  }

  schedule(message: MessageDefinition, payload: unknown, when: ScheduleTiming, options?: ScheduleOptions): void {
    const parsed = message.parse(payload);
    const dueAt = 'at' in when ? when.at.getTime() : this.#now() + when.delayMs;
    if (!Number.isFinite(dueAt)) throw new RangeError(`schedule(${message.name}): the due time is not a valid time`);
    const key = options?.key ?? message.name;
    (this.scheduleOps ??= []).push({ kind: 'set', key, message, payload: parsed, dueAt });
  }

  request(command: CommandDefinition, payload: unknown, options: RequestOptions): string {
    const timeoutMs = options?.timeoutMs;
    if (!(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      throw new RangeError(`request(${command?.name}): timeoutMs must be a positive number of ms, got ${String(timeoutMs)}`);
    }
    const key = options.key ?? requestKey(command.name);
    const requestId = uuidv7(this.#now());
    this.outbox.add(command, payload, {
      messageId: requestId,
      target: options.target,
      // The answer comes back to this saga only, naming the request it answers.
      headers: { [SCHEDULE_SAGA_HEADER]: this.#saga.name, [REQUEST_HEADER]: key },
    });
    const timedOut = command.timedOut.parse({ commandId: requestId, timeoutMs, attempts: 0 });
    (this.scheduleOps ??= []).push({ kind: 'set', key, message: command.timedOut, payload: timedOut, dueAt: this.#now() + timeoutMs, requestId });
    return requestId;
  }

  unschedule(key: string | MessageDefinition): void {
    (this.scheduleOps ??= []).push({ kind: 'cancel', key: typeof key === 'string' ? key : key.name });
  }

  now(): Date {
    return new Date(this.#now());
  }
}
