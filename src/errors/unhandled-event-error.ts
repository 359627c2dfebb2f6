import { SagaflowError } from './sagaflow-error.ts';

export const UNHANDLED_EVENT = 'SAGA_EVENT_UNHANDLED';

/** The instance's current state has no handler (or no matching guard) for the event. Nothing changed. */
export class UnhandledEventError extends SagaflowError {
  readonly sagaName: string;
  readonly correlationId: string;
  readonly state: string;
  readonly messageType: string;
  /** The stored instance, when there is one (not for an event that would have created it). */
  readonly instanceId: string | undefined;

  constructor(sagaName: string, correlationId: string, state: string, messageType: string, instanceId?: string) {
    super(
      UNHANDLED_EVENT,
      `saga '${sagaName}' instance '${correlationId}' in state '${state}' does not handle '${messageType}' ` +
        `(add a when() or ignore() for it, or set unhandledEvent: 'ignore')`,
    );
    this.sagaName = sagaName;
    this.correlationId = correlationId;
    this.state = state;
    this.messageType = messageType;
    this.instanceId = instanceId;
  }
}
