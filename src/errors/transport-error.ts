import { SagaflowError } from './sagaflow-error.ts';

export const TRANSPORT_UNAVAILABLE = 'SAGA_TRANSPORT_UNAVAILABLE';

/** Why a transport refused or lost a message. */
export type TransportFailure =
  /** No connection to the broker, and none came back within the publish timeout. */
  | 'disconnected'
  /** The connection dropped while the broker had not yet confirmed the message. */
  | 'unconfirmed'
  /** The broker refused the message (a negative confirm). */
  | 'nacked'
  /** The transport was closed, or could not connect at start. */
  | 'closed';

/**
 * A broker transport could not take a message. Nothing about the message is wrong: publish it again
 * later. The outbox relay does exactly that, since the message stays in the outbox until a publish
 * succeeds; a confirm that was lost with the connection may mean the broker has it after all, which the
 * receiving inbox makes harmless.
 */
export class TransportError extends SagaflowError {
  readonly failure: TransportFailure;

  constructor(failure: TransportFailure, message: string, cause?: unknown) {
    super(TRANSPORT_UNAVAILABLE, message, cause === undefined ? undefined : { cause });
    this.failure = failure;
  }
}
