import { SagaflowError } from './sagaflow-error.ts';

export const BATCH_TOO_LARGE = 'SAGA_BATCH_TOO_LARGE';

/** A batch sent to the HTTP ingress holds more events than it takes at once (`maxBatchEvents`). Nothing was published. */
export class BatchTooLargeError extends SagaflowError {
  readonly count: number;
  readonly limit: number;

  constructor(count: number, limit: number) {
    super(BATCH_TOO_LARGE, `the batch has ${count} events, over the limit of ${limit}: split it`);
    this.count = count;
    this.limit = limit;
  }
}
