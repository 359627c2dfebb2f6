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

  /**
   * The server could not be reached or is going away (a lost connection, class 08, `57P0x`): unlike a
   * serialization failure or a deadlock, retrying at once will not help until it is back.
   */
  get unavailable(): boolean {
    return this.reason !== SERIALIZATION_FAILURE && this.reason !== DEADLOCK_DETECTED;
  }
}

const SERIALIZATION_FAILURE = '40001';
const DEADLOCK_DETECTED = '40P01';

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
