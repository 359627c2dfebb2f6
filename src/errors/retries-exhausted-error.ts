import { SagaflowError } from './sagaflow-error.ts';

export const RETRIES_EXHAUSTED = 'SAGA_RETRIES_EXHAUSTED';

/** Every attempt of an event lost a version race. Nothing of it was written; it may be dispatched again. */
export class RetriesExhaustedError extends SagaflowError {
  readonly attempts: number;

  constructor(what: string, attempts: number, cause: unknown) {
    super(RETRIES_EXHAUSTED, `${what} gave up after ${attempts} attempts on concurrency conflicts`, { cause });
    this.attempts = attempts;
  }
}
