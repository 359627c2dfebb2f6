import { SagaflowError } from './sagaflow-error.ts';

export const STORE_TRANSIENT = 'SAGA_STORE_TRANSIENT';

/**
 * The database failed in a way that may pass: a serialization failure, a deadlock, a dropped connection.
 * Whether the write applied is unknown; the orchestrator retries it with its conflict policy, and the
 * inbox makes the retry harmless if it did apply.
 */
export class TransientStoreError extends SagaflowError {
  /** The SQLSTATE, or the driver's error code for a connection failure, when there is one. */
  readonly reason: string | undefined;

  constructor(reason: string | undefined, cause: unknown) {
    super(STORE_TRANSIENT, `the store failed transiently${reason ? ` (${reason})` : ''}: ${describe(cause)}`, { cause });
    this.reason = reason;
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
