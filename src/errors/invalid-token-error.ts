import { SagaflowError } from './sagaflow-error.ts';

export const TOKEN_INVALID = 'SAGA_TOKEN_INVALID';

/**
 * The configured API token cannot be used: empty (an empty `SAGAFLOW_TOKEN=` must never mean "no
 * auth"), an empty or unreadable token file, or both a token and a token file. Nothing was started.
 */
export class InvalidTokenError extends SagaflowError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(TOKEN_INVALID, `unusable API token: ${reason}`, options);
  }
}
