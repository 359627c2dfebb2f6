import { SagaflowError } from './sagaflow-error.ts';

export const REPAIR_REFUSED = 'SAGA_REPAIR_REFUSED';

/**
 * An operator's repair does not apply to the instance as it is now (cancelling a finished instance,
 * transitioning one whose compensation is running, ...). Nothing was written; the message says why.
 */
export class RepairRefusedError extends SagaflowError {
  readonly instanceId: string;
  readonly action: string;

  constructor(instanceId: string, action: string, why: string) {
    super(REPAIR_REFUSED, `${action} of saga instance '${instanceId}' refused: ${why}`);
    this.instanceId = instanceId;
    this.action = action;
  }
}
