import { SagaflowError } from './sagaflow-error.ts';

export const PAYLOAD_TOO_LARGE = 'SAGA_PAYLOAD_TOO_LARGE';

/** A message is larger than the orchestrator's `maxPayloadBytes`. Nothing was loaded, run or written. */
export class PayloadTooLargeError extends SagaflowError {
  readonly bytes: number;
  readonly limit: number;

  constructor(messageType: string, bytes: number, limit: number) {
    super(PAYLOAD_TOO_LARGE, `'${messageType}' is ${bytes} bytes, over the limit of ${limit}`);
    this.bytes = bytes;
    this.limit = limit;
  }
}
