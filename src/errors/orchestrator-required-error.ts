import { SagaflowError } from './sagaflow-error.ts';

export const ORCHESTRATOR_REQUIRED = 'SAGA_ORCHESTRATOR_REQUIRED';

/** An operation runs saga code (a compensation step), so it needs the saga definitions in this process. */
export class OrchestratorRequiredError extends SagaflowError {
  constructor(operation: string) {
    super(
      ORCHESTRATOR_REQUIRED,
      `${operation} runs your saga's code, so it needs the saga definitions: start the CLI or server with ` +
        '`--sagas <module>`, or give SagaOperations an `orchestrator`',
    );
  }
}
