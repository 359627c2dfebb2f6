import { SagaflowError } from './sagaflow-error.ts';

export const COMMAND_TIMEOUT = 'SAGA_COMMAND_TIMEOUT';

/** A command handler's attempt ran past the command's `timeoutMs`; its signal was aborted with this. */
export class CommandTimeoutError extends SagaflowError {
  readonly commandType: string;
  readonly timeoutMs: number;

  constructor(commandType: string, timeoutMs: number) {
    super(COMMAND_TIMEOUT, `'${commandType}' did not finish within ${timeoutMs} ms (raise the command's timeoutMs, or make the handler faster)`);
    this.commandType = commandType;
    this.timeoutMs = timeoutMs;
  }
}
