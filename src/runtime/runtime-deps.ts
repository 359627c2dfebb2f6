/**
 * @module runtime/runtime-deps
 * The collaborators the orchestrator's steps share.
 */
import type { Clock } from '../clock/clock.ts';
import type { Instrumentation } from '../telemetry/instrumentation.ts';
import type { SagaRepository } from '../repository/types.ts';
import type { ObserverSet } from './observers.ts';
import type { OutboxDelivery } from './outbox-delivery.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { DurableWriteOptions } from './durable-write.ts';

export interface RuntimeDeps {
  readonly repository: SagaRepository;
  readonly clock: Clock;
  readonly observers: ObserverSet;
  /** Stages outgoing messages with their write and sends them once it committed. */
  readonly outbox: OutboxDelivery;
  /** For compensation steps of sagas that set no `compensationRetry`. */
  readonly compensationRetry: RetryPolicy;
  /** Spans, metrics and logs (a no-op without an OpenTelemetry SDK or a logger). */
  readonly telemetry: Instrumentation;
  /** For writes retried through an outage (`durably`): the stop signal and the outage tracker. */
  readonly durable?: DurableWriteOptions;
}
