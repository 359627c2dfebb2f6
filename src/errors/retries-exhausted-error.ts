import { SagaflowError } from './sagaflow-error.ts';

export const RETRIES_EXHAUSTED = 'SAGA_RETRIES_EXHAUSTED';

/**
 * Every attempt of an event failed: its actions threw until the retry policy gave up, or it lost every
 * version race (or the store kept failing transiently). Nothing of it was written; it may be
 * dispatched again. `cause` is the last failure.
 */
export class RetriesExhaustedError extends SagaflowError {
  readonly attempts: number;
  readonly sagaName: string;
  readonly correlationId: string;
  /** The stored instance, when the last failure names one. */
  readonly instanceId: string | undefined;

  constructor(sagaName: string, correlationId: string, messageType: string, attempts: number, cause: unknown) {
    super(
      RETRIES_EXHAUSTED,
      `'${messageType}' for saga '${sagaName}' instance '${correlationId}' gave up after ${attempts} attempts: ` +
        (cause instanceof Error ? cause.message : String(cause)),
      { cause },
    );
    this.attempts = attempts;
    this.sagaName = sagaName;
    this.correlationId = correlationId;
    const named = (cause as { instanceId?: unknown } | null)?.instanceId;
    this.instanceId = typeof named === 'string' ? named : undefined;
  }
}
