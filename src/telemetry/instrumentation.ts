/**
 * @module telemetry/instrumentation
 * The operational signals of one orchestrator — spans, metrics and logs — behind one small object that
 * the runtime calls at its few decisive points: a message taken (`process`), one attempt at applying it
 * (`transition`), its write (`commit`), a compensation step (`compensate`), a message sent (`send`),
 * and the retries, conflicts, dead letters and compensation results along the way.
 *
 * With no OpenTelemetry SDK registered every span method returns its work unwrapped after one cheap
 * check, and metrics are not even timed; the logger, when there is none, is not called.
 */
import { context, SpanKind, trace, type Context, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import type { MessageBus } from '../bus/message-bus.ts';
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.ts';
import { TransientStoreError } from '../errors/transient-store-error.ts';
import type { Logger } from '../host/logger.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { CompensationEntry, DeadLetter, SagaCommit, SagaInstanceRecord, SagaRepository } from '../repository/types.ts';
import type { SagaOutcome } from '../runtime/outcome.ts';
import { SagaflowAttributes as A, OTHER_TYPE, SagaflowSpans, type ProcessOutcome } from './names.ts';
import { SagaMetrics, type RetryReason } from './saga-metrics.ts';
import { annotate, errorType, recordError, setMessaging, setOutcome, type Processed } from './span-attributes.ts';

export type { Processed } from './span-attributes.ts';
import { resolveTelemetry, type TelemetryOptions } from './telemetry-options.ts';
import { contextFrom, stampCreation, stampEnvelope } from './trace-context.ts';

export interface InstrumentationEnv {
  /** Names `messaging.system` (its `messagingSystem`; else `sagaflow`, for in process). */
  readonly bus?: MessageBus;
  /** Named on persist spans, with `db.system.name` when it says (`dbSystem`). */
  readonly repository?: SagaRepository;
  readonly logger?: Logger;
  /** Types some saga handles: others are `_OTHER` in metrics and span names, so noise cannot grow them. */
  readonly knownType?: (type: string) => boolean;
}

export class Instrumentation {
  /** Records nothing: for collaborators built without an orchestrator. */
  static readonly off = new Instrumentation(false);

  readonly #tracer: Tracer;
  readonly #tracing: () => boolean;
  readonly #propagator: TextMapPropagator;
  readonly #metrics: SagaMetrics | undefined;
  readonly #logger: Logger | undefined;
  readonly #system: string;
  readonly #repository: string | undefined;
  readonly #dbSystem: string | undefined;
  readonly #knownType: (type: string) => boolean;

  constructor(options: TelemetryOptions | false | undefined, env: InstrumentationEnv = {}) {
    const resolved = resolveTelemetry(options);
    this.#tracer = resolved.tracer;
    this.#tracing = resolved.tracing;
    this.#propagator = resolved.propagator;
    this.#metrics = resolved.meter && new SagaMetrics(resolved.meter);
    this.#logger = env.logger;
    this.#system = env.bus?.messagingSystem ?? 'sagaflow';
    this.#repository = env.repository?.constructor.name;
    // Not part of the repository port: a store that knows its database says so (PrismaSagaRepository does).
    const dbSystem = (env.repository as { readonly dbSystem?: unknown } | undefined)?.dbSystem;
    this.#dbSystem = typeof dbSystem === 'string' ? dbSystem : undefined;
    this.#knownType = env.knownType ?? (() => true);
  }

  /** Whether `process` does anything: false without an SDK, so the caller can skip even the closure. */
  get active(): boolean {
    return this.#metrics !== undefined || this.#tracing();
  }

  /** Runs the handling of one message as a CONSUMER span `process <type>`, continuing the trace it carries. */
  async process<R extends Processed>(envelope: Envelope | undefined, run: () => Promise<R>): Promise<R> {
    const started = this.#metrics === undefined ? undefined : performance.now();
    const type = envelope !== undefined && this.#knownType(envelope.type) ? envelope.type : undefined;
    const span = this.#tracing() ? this.#startProcess(envelope, type) : undefined;
    try {
      const result = await (span === undefined ? run() : context.with(trace.setSpan(span[1], span[0]), run));
      if (span?.[0].isRecording()) annotate(span[0], result);
      if (started !== undefined) this.#metrics!.result(type ?? OTHER_TYPE, result, undefined, performance.now() - started);
      return result;
    } catch (error) {
      if (span?.[0].isRecording()) {
        recordError(span[0], error);
        span[0].setAttribute(A.Outcome, 'failed' satisfies ProcessOutcome);
      }
      if (started !== undefined) this.#metrics!.result(type ?? OTHER_TYPE, undefined, error, performance.now() - started);
      throw error;
    } finally {
      span?.[0].end();
    }
  }

  /** One attempt at applying an event to one saga: `sagaflow.transition`, with states before and after. */
  transition(saga: string, envelope: Envelope, correlationId: string, run: () => Promise<SagaOutcome>): Promise<SagaOutcome> {
    if (!this.#tracing()) return run();
    return this.#inSpan(SagaflowSpans.Transition, SpanKind.INTERNAL, run, (span) => {
      span.setAttribute(A.SagaName, saga);
      span.setAttribute(A.CorrelationId, correlationId);
      span.setAttribute(A.MessagingDestination, envelope.type);
    }, setOutcome);
  }

  /** The event's conditional write, as `sagaflow.persist`. */
  commit(repository: Pick<SagaRepository, 'commit'>, commit: SagaCommit): Promise<void> {
    if (!this.#tracing()) return repository.commit(commit);
    return this.#inSpan(SagaflowSpans.Persist, this.#dbSystem ? SpanKind.CLIENT : SpanKind.INTERNAL, () => repository.commit(commit), (span) => {
      span.setAttribute(A.CommitKind, commit.kind);
      span.setAttribute(A.SagaName, commit.instance.sagaName);
      span.setAttribute(A.InstanceId, commit.instance.id);
      if (this.#repository !== undefined) span.setAttribute(A.Repository, this.#repository);
      if (this.#dbSystem !== undefined) span.setAttribute(A.DbSystem, this.#dbSystem);
    });
  }

  /** One attempt at one compensation step, as `sagaflow.compensate <step>`. */
  compensate(saga: string, record: SagaInstanceRecord, step: CompensationEntry, attempt: number, run: () => Promise<void>): Promise<void> {
    if (!this.#tracing()) return run();
    return this.#inSpan(`${SagaflowSpans.Compensate} ${step.name}`, SpanKind.INTERNAL, run, (span) => {
      span.setAttribute(A.SagaName, saga);
      span.setAttribute(A.InstanceId, record.id);
      span.setAttribute(A.CorrelationId, record.correlationId);
      span.setAttribute(A.CompensationStep, step.name);
      span.setAttribute(A.CompensationAttempt, attempt);
    });
  }

  /** `envelope` carrying the current trace, for a message created now and sent later from the outbox. */
  stamp(envelope: Envelope): Envelope {
    return this.#tracing() ? stampCreation(this.#propagator, envelope) : envelope;
  }

  /** Publishes as a PRODUCER span `send <type>`, whose context the message carries to its consumer. */
  send(envelope: Envelope, bus: MessageBus): Promise<void> {
    if (!this.#tracing()) return bus.publish(envelope);
    const parent = contextFrom(this.#propagator, envelope.headers);
    const span = this.#tracer.startSpan(`send ${envelope.type}`, { kind: SpanKind.PRODUCER }, parent);
    if (span.isRecording()) setMessaging(span, bus.messagingSystem ?? this.#system, 'send', envelope, envelope.type);
    const ctx = trace.setSpan(parent, span);
    const stamped = stampEnvelope(this.#propagator, envelope, ctx);
    return settle(span, context.with(ctx, () => bus.publish(stamped)));
  }

  /** A conditional write lost a race. */
  conflict(saga: string, type: string): void {
    this.#metrics?.conflict(saga, type);
  }

  /** An attempt failed and another follows after `delayMs`. */
  retry(saga: string, envelope: Envelope, error: unknown, attempt: number, delayMs: number): void {
    const reason: RetryReason = error instanceof ConcurrencyError ? 'conflict' : error instanceof TransientStoreError ? 'transient' : 'action';
    this.#metrics?.retry(saga, envelope.type, reason);
    if (this.#tracing()) {
      trace.getActiveSpan()?.addEvent('sagaflow.retry', { [A.RetryReason]: reason, [A.RetryAttempt]: attempt, [A.ErrorType]: errorType(error) });
    }
    this.#logger?.log('debug', { msg: 'retrying', saga, ...ids(envelope), reason, attempt, delayMs, code: errorType(error) });
  }

  /** Handling failed and the error goes to the caller. */
  faulted(saga: string, correlationId: string, envelope: Envelope, error: unknown): void {
    if (this.#logger === undefined || !(error instanceof RetriesExhaustedError)) return;
    this.#logger.log('warn', { msg: 'retries exhausted', saga, ...ids(envelope), correlationId, attempts: error.attempts, error });
  }

  /** `receive` stored a message it can never handle. */
  deadLettered(letter: DeadLetter, error: unknown): void {
    this.#metrics?.deadLettered(letter.sagaName, letter.messageType !== null && this.#knownType(letter.messageType) ? letter.messageType : OTHER_TYPE, letter.reason);
    if (this.#tracing()) {
      const span = trace.getActiveSpan();
      if (span?.isRecording()) {
        recordError(span, error);
        span.setAttribute(A.DeadLetterReason, letter.reason);
      }
    }
    this.#logger?.log('warn', {
      msg: 'dead-lettered',
      saga: letter.sagaName,
      type: letter.messageType,
      messageId: letter.messageId,
      correlationId: letter.correlationId,
      reason: letter.reason,
      code: letter.errorCode,
      deadLetterId: letter.id,
      error,
    });
  }

  /** A compensation step failed for good; the instance waits in `compensation_failed`. */
  compensationFailed(saga: string, instance: SagaInstanceRecord, step: string, error: unknown): void {
    this.#metrics?.compensation(saga, 'failed');
    this.#logger?.log('error', { msg: 'compensation failed', saga, correlationId: instance.correlationId, instanceId: instance.id, step, error });
  }

  /** A compensation run unwound the whole stack. */
  compensated(saga: string, instance: SagaInstanceRecord, steps: number): void {
    this.#metrics?.compensation(saga, 'completed');
    this.#logger?.log('info', { msg: 'compensated', saga, correlationId: instance.correlationId, instanceId: instance.id, steps });
  }

  /** An error nobody else can receive (a failing observer, a failed delivery): `onError`'s default with a logger. */
  error(error: unknown): void {
    this.#logger?.log('error', { msg: 'error outside any caller (observer, delivery)', error });
  }

  #startProcess(envelope: Envelope | undefined, type: string | undefined): [Span, Context] {
    const parent = envelope === undefined ? context.active() : contextFrom(this.#propagator, envelope.headers);
    const span = this.#tracer.startSpan(type === undefined ? 'process' : `process ${type}`, { kind: SpanKind.CONSUMER }, parent);
    if (span.isRecording()) setMessaging(span, this.#system, 'process', envelope, envelope?.type);
    return [span, parent];
  }

  #inSpan<T>(name: string, kind: SpanKind, run: () => Promise<T>, start: (span: Span) => void, end?: (span: Span, result: T) => void): Promise<T> {
    const parent = context.active();
    const span = this.#tracer.startSpan(name, { kind }, parent);
    if (span.isRecording()) start(span);
    let result: Promise<T>;
    try {
      result = context.with(trace.setSpan(parent, span), run);
    } catch (error) {
      result = Promise.reject(error); // a store that throws instead of rejecting still ends its span
    }
    return end === undefined ? settle(span, result) : settle(span, result.then((r) => (span.isRecording() && end(span, r), r)));
  }
}

/** Ends `span` when `work` settles, recording a failure. */
function settle<T>(span: Span, work: Promise<T>): Promise<T> {
  return work.then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      recordError(span, error);
      span.end();
      throw error;
    },
  );
}

function ids(envelope: Envelope): { type: string; messageId: string; correlationId: string | undefined } {
  return { type: envelope.type, messageId: envelope.messageId, correlationId: envelope.correlationId };
}
