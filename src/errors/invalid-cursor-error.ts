import { SagaflowError } from './sagaflow-error.ts';

export const CURSOR_INVALID = 'SAGA_CURSOR_INVALID';

/**
 * A page cursor that no repository produced: not base64url, a timestamp that is not one a cursor holds
 * (years 0000–9999, millisecond ISO form), or an id the store cannot hold. Checked before any query, so
 * a forged cursor never reaches the database. The HTTP API answers it with 400.
 */
export class InvalidCursorError extends SagaflowError {
  constructor(reason: string) {
    super(CURSOR_INVALID, `invalid cursor: ${reason}; pass back the nextCursor of a previous page unchanged, or leave the cursor out for the first page`);
  }
}
