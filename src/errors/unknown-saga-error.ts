import { SagaflowError } from './sagaflow-error.ts';

export const UNKNOWN_SAGA = 'SAGA_UNKNOWN_SAGA';

/** An operator named a saga that this process does not have the definition of. */
export class UnknownSagaError extends SagaflowError {
  readonly sagaName: string;
  readonly known: readonly string[];

  constructor(sagaName: string, known: readonly string[]) {
    super(
      UNKNOWN_SAGA,
      `no saga '${sagaName}' is registered here; ` +
        (known.length
          ? `registered: ${known.join(', ')}`
          : 'none are: pass the module that defines your sagas (`--sagas ./src/sagas.ts`, or `sagas` to SagaOperations)'),
    );
    this.sagaName = sagaName;
    this.known = known;
  }
}
