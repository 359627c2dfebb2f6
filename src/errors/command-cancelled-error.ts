import { SagaflowError } from './sagaflow-error.ts';

export const COMMAND_CANCELLED = 'SAGA_COMMAND_CANCELLED';

/**
 * A command handler gave up on purpose (`ctx.cancel(reason)`), or the command was cancelled while it
 * ran. Its outcome is `cancelled`, and it is not retried.
 */
export class CommandCancelledError extends SagaflowError {
  readonly reason: string;

  constructor(reason: string) {
    super(COMMAND_CANCELLED, `command cancelled: ${reason}`);
    this.reason = reason;
  }
}
