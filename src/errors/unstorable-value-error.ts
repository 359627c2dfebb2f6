import { SagaflowError } from './sagaflow-error.ts';

export const VALUE_UNSTORABLE = 'SAGA_VALUE_UNSTORABLE';

/**
 * A value no store can hold: a NUL character (U+0000) or a lone UTF-16 surrogate in a string or key
 * (PostgreSQL's text and jsonb refuse both), a number JSON cannot carry (NaN, ±Infinity), a BigInt, or
 * a structure nested too deep (or cyclic). `path` names the field (`payload.items[2].note`,
 * `headers.tenant`, `correlationId`, `data.note`, `compensation[0].args.reason`). Retrying cannot help;
 * it is thrown before anything is written, by every store alike, and `receive()` dead-letters the
 * message with the reason `unstorable-value`.
 */
export class UnstorableValueError extends SagaflowError {
  /** The field holding the value, from the top of what was to be stored. */
  readonly path: string;
  /** What is wrong with it, e.g. `a NUL character (U+0000) at index 3`. */
  readonly problem: string;

  constructor(path: string, problem: string, cause?: unknown) {
    super(VALUE_UNSTORABLE, `the store cannot hold the value at ${path}: ${problem}`, { cause });
    this.path = path;
    this.problem = problem;
  }
}
