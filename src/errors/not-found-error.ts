import { SagaflowError } from './sagaflow-error.ts';

export const NOT_FOUND = 'SAGA_NOT_FOUND';

/**
 * An operator asked for a saga instance that is not in the store: a wrong id or correlation id, or an
 * instance that finished and was removed (`removeOnCompletion`).
 */
export class NotFoundError extends SagaflowError {
  /** The id or correlation id that was looked up. */
  readonly key: string;

  constructor(key: string, hint = 'check the id (list instances with `sagaflow list` or GET /api/instances)') {
    super(NOT_FOUND, `no saga instance '${key}': ${hint}`);
    this.key = key;
  }
}
