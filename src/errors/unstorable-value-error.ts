import { SagaflowError } from './sagaflow-error.ts';

export const VALUE_UNSTORABLE = 'SAGA_VALUE_UNSTORABLE';

/**
 * The store refused a value it can never hold (PostgreSQL: a NUL character in text or JSON, an
 * out-of-range number). Retrying cannot help; nothing was written.
 */
export class UnstorableValueError extends SagaflowError {
  constructor(detail: string, cause?: unknown) {
    super(VALUE_UNSTORABLE, `the store cannot hold this value: ${detail}`, { cause });
  }
}
