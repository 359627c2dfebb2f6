import { SagaflowError } from './sagaflow-error.ts';

/**
 * No dead letter with that id: it was replayed or discarded already, or the id is wrong. The code is
 * the one `DeadLetters.replay` has always used (`DEAD_LETTER_NOT_FOUND`).
 */
export class DeadLetterNotFoundError extends SagaflowError {
  readonly id: string;

  constructor(id: string) {
    super(
      'SAGA_DEAD_LETTER_NOT_FOUND',
      `no dead letter '${id}': it may have been replayed or discarded already (list them with \`sagaflow dead-letters list\`)`,
    );
    this.id = id;
  }
}
