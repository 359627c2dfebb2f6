import { SagaflowError } from './sagaflow-error.ts';

export const UNKNOWN_EVENT = 'SAGA_UNKNOWN_EVENT';

/** No registered saga handles this message type. */
export class UnknownEventError extends SagaflowError {
  readonly messageType: string;

  constructor(messageType: string, known: readonly string[]) {
    super(
      UNKNOWN_EVENT,
      `no saga handles '${messageType}'; handled types: ${known.length ? known.join(', ') : '(none)'}`,
    );
    this.messageType = messageType;
  }
}
