import { SagaflowError } from './sagaflow-error.ts';

export const ENVELOPE_ERROR = 'SAGA_ENVELOPE_INVALID';

/** An envelope is malformed (missing type, message id or correlation id, wrong field types). */
export class EnvelopeError extends SagaflowError {
  constructor(problem: string) {
    super(ENVELOPE_ERROR, `malformed envelope: ${problem}`);
  }
}
