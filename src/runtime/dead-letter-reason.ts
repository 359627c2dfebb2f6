/**
 * @module runtime/dead-letter-reason
 * Which failures end in the dead-letter store and which go back to the transport. Input that can never
 * succeed, and events the retry policy gave up on, are dead-lettered; anything else (the store being
 * down, a bug outside Sagaflow's typed errors) is thrown, so the transport redelivers it later.
 */
import { ActionError } from '../errors/action-error.ts';
import { EnvelopeError } from '../errors/envelope-error.ts';
import { InstanceDataError } from '../errors/instance-data-error.ts';
import { InstanceNotFoundError } from '../errors/instance-not-found-error.ts';
import { PayloadTooLargeError } from '../errors/payload-too-large-error.ts';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.ts';
import { UnhandledEventError } from '../errors/unhandled-event-error.ts';
import { UnknownEventError } from '../errors/unknown-event-error.ts';
import { ValidationError } from '../errors/validation-error.ts';
import { TransientStoreError } from '../errors/transient-store-error.ts';
import { UnstorableValueError } from '../errors/unstorable-value-error.ts';
import { DeadLetterReason } from '../repository/types.ts';
import { SagaVersionNewerError } from '../errors/saga-version-newer-error.ts';
import { InstanceMigrationError } from '../errors/instance-migration-error.ts';

/** The reason to dead-letter `error` for, or `null` when it should go back to the transport. */
export function deadLetterReason(error: unknown): DeadLetterReason | null {
  if (error instanceof AggregateError) {
    // Several sagas failed: dead-letter only if every failure is permanent; a replay re-runs them all
    // and the sagas that had succeeded see a duplicate.
    const reasons = error.errors.map(deadLetterReason);
    return reasons.every((r) => r !== null) ? (reasons[0] ?? null) : null;
  }
  if (error instanceof EnvelopeError) return DeadLetterReason.MalformedEnvelope;
  if (error instanceof UnknownEventError) return DeadLetterReason.UnknownEvent;
  if (error instanceof ValidationError) return DeadLetterReason.InvalidPayload;
  if (error instanceof PayloadTooLargeError) return DeadLetterReason.PayloadTooLarge;
  if (error instanceof RetriesExhaustedError) {
    return error.cause instanceof TransientStoreError ? null : DeadLetterReason.RetriesExhausted;
  }
  if (error instanceof ActionError) return DeadLetterReason.RetriesExhausted;
  if (error instanceof UnstorableValueError) return DeadLetterReason.UnstorableValue;
  // A newer definition wrote the instance: a worker on the new code can take it, so back to the transport.
  if (error instanceof SagaVersionNewerError) return null;
  if (
    error instanceof InstanceMigrationError ||
    error instanceof InstanceNotFoundError || error instanceof UnhandledEventError || error instanceof InstanceDataError
  ) {
    return DeadLetterReason.Rejected;
  }
  return null;
}

/** The saga and instance a failure names, when it names one. */
export function failedAt(error: unknown): { sagaName: string | null; correlationId: string | null; instanceId: string | null } {
  const e = (error instanceof AggregateError ? error.errors[0] : error) as
    | { sagaName?: unknown; correlationId?: unknown; instanceId?: unknown }
    | undefined;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return { sagaName: text(e?.sagaName), correlationId: text(e?.correlationId), instanceId: text(e?.instanceId) };
}
