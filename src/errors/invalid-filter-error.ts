import { SagaflowError } from './sagaflow-error.ts';

export const FILTER_INVALID = 'SAGA_FILTER_INVALID';

/**
 * An instance filter that cannot be run: a data condition whose JSON path is not `data.<name>[.<name>…]`
 * (names of letters, digits and `_`, or array indexes), an operator other than `= != > >= < <=`, a
 * range on a value that is neither a number nor a string, too many conditions, or a duration or date
 * that does not parse. Checked before any query, so nothing of it reaches SQL unvalidated. The HTTP API
 * answers it with 400.
 */
export class InvalidFilterError extends SagaflowError {
  constructor(reason: string) {
    super(FILTER_INVALID, `invalid filter: ${reason}; write data conditions as 'data.customerId = c-42' or 'data.total > 100' (docs/operations.md, "Search")`);
  }
}
