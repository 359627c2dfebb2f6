import { SagaflowError } from './sagaflow-error.ts';

export const COMMAND_NOT_FOUND = 'SAGA_COMMAND_NOT_FOUND';

/** No handled command with that id: no handler has taken it (yet), or the id is wrong. */
export class CommandNotFoundError extends SagaflowError {
  readonly id: string;

  constructor(id: string) {
    super(COMMAND_NOT_FOUND, `no handled command '${id}': no handler has taken it yet, or the id is wrong (list them with \`sagaflow commands list\`)`);
    this.id = id;
  }
}
