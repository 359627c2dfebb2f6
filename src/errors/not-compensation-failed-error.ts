import { SagaflowError } from './sagaflow-error.ts';

export const NOT_COMPENSATION_FAILED = 'SAGA_NOT_COMPENSATION_FAILED';

/** Retrying compensation was asked of an instance whose status is not `compensation_failed`. */
export class NotCompensationFailedError extends SagaflowError {
  readonly instanceId: string;
  readonly status: string;

  constructor(instanceId: string, status: string) {
    super(
      NOT_COMPENSATION_FAILED,
      `saga instance '${instanceId}' is ${status}, not compensation_failed: only a compensation that stopped on a failing step can be retried`,
    );
    this.instanceId = instanceId;
    this.status = status;
  }
}
