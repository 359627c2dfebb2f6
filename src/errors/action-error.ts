import { SagaflowError } from './sagaflow-error.ts';

export const ACTION_FAILED = 'SAGA_ACTION_FAILED';

/** A `then` action (or a guard or condition) threw and no `catch` handled it. Nothing was written. */
export class ActionError extends SagaflowError {
  readonly sagaName: string;
  readonly correlationId: string;
  readonly state: string;
  readonly messageType: string;
  /** The stored instance, when there is one (not for an event that would have created it). */
  readonly instanceId: string | undefined;

  constructor(sagaName: string, correlationId: string, state: string, messageType: string, cause: unknown, instanceId?: string) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      ACTION_FAILED,
      `saga '${sagaName}' instance '${correlationId}' failed handling '${messageType}' in state '${state}': ${reason}`,
      { cause },
    );
    this.sagaName = sagaName;
    this.correlationId = correlationId;
    this.state = state;
    this.messageType = messageType;
    this.instanceId = instanceId;
  }
}
