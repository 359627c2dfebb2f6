import { SagaflowError } from './sagaflow-error.ts';

export const BULK_COUNT_MISMATCH = 'SAGA_BULK_COUNT_MISMATCH';

/**
 * A bulk action's confirmed count (`expectCount`, `--yes=<n>`) is not what its filter matches now: more
 * (or fewer) instances or letters match than the operator saw in the dry run. Nothing was done.
 */
export class BulkCountMismatchError extends SagaflowError {
  readonly expected: number;
  readonly actual: number;

  constructor(action: string, expected: number, actual: number) {
    super(
      BULK_COUNT_MISMATCH,
      `bulk ${action}: the filter matches ${actual} now, not the ${expected} confirmed; run the dry run again and confirm its count`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}
