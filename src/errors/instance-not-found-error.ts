import { SagaflowError } from './sagaflow-error.ts';

export const INSTANCE_NOT_FOUND = 'SAGA_INSTANCE_NOT_FOUND';

/** An event that cannot start a saga arrived for a correlation id with no instance. */
export class InstanceNotFoundError extends SagaflowError {
  readonly sagaName: string;
  readonly correlationId: string;
  readonly messageType: string;

  constructor(sagaName: string, correlationId: string, messageType: string) {
    super(
      INSTANCE_NOT_FOUND,
      `saga '${sagaName}' has no instance '${correlationId}' for '${messageType}', and '${messageType}' does not start one ` +
        `(handle it in initially(), or set missingInstance: 'ignore' for it)`,
    );
    this.sagaName = sagaName;
    this.correlationId = correlationId;
    this.messageType = messageType;
  }
}
