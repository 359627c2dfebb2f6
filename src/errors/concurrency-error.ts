import { SagaflowError } from './sagaflow-error.ts';

export const CONCURRENCY_CONFLICT = 'SAGA_CONCURRENCY_CONFLICT';

/**
 * A conditional write found another version than the one it read (or an insert found the instance
 * already created). The orchestrator reloads and retries; callers see it only through
 * `RetriesExhaustedError`.
 */
export class ConcurrencyError extends SagaflowError {
  readonly sagaName: string;
  readonly correlationId: string;
  readonly expectedVersion: number;

  constructor(sagaName: string, correlationId: string, expectedVersion: number, detail?: string) {
    super(
      CONCURRENCY_CONFLICT,
      `saga '${sagaName}' instance '${correlationId}' changed since version ${expectedVersion} was read` +
        (detail ? ` (${detail})` : ''),
    );
    this.sagaName = sagaName;
    this.correlationId = correlationId;
    this.expectedVersion = expectedVersion;
  }
}
