import { SagaflowError } from './sagaflow-error.ts';

export const REASON_REQUIRED = 'SAGA_REASON_REQUIRED';

/** Most characters of a repair's reason (it is stored in the audit record). */
export const MAX_REASON_LENGTH = 1000;

/** A repair was asked without a reason (or with one longer than `MAX_REASON_LENGTH`): every repair says why. */
export class ReasonRequiredError extends SagaflowError {
  readonly action: string;

  constructor(action: string, tooLong = false) {
    super(
      REASON_REQUIRED,
      tooLong
        ? `${action}: the reason is longer than ${MAX_REASON_LENGTH} characters; say why in fewer`
        : `${action} needs a reason (--reason "..." on the CLI, "reason" in the API body): it is kept in the audit record`,
    );
    this.action = action;
  }
}
