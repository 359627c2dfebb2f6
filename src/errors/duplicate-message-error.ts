import { SagaflowError } from './sagaflow-error.ts';

export const DUPLICATE_MESSAGE = 'SAGA_DUPLICATE_MESSAGE';

/**
 * The instance has already applied this message id (the inbox). Redelivery is normal; the orchestrator
 * turns this into a `'duplicate'` outcome, so callers only see it from a repository directly.
 */
export class DuplicateMessageError extends SagaflowError {
  readonly sagaName: string;
  readonly correlationId: string;
  readonly messageId: string;

  constructor(sagaName: string, correlationId: string, messageId: string) {
    super(DUPLICATE_MESSAGE, `saga '${sagaName}' instance '${correlationId}' has already applied message '${messageId}'`);
    this.sagaName = sagaName;
    this.correlationId = correlationId;
    this.messageId = messageId;
  }
}
