import { SagaflowError } from './sagaflow-error.ts';

export const UNDECLARED_STATE = 'SAGA_UNDECLARED_STATE';

/** An operator's transition named a state the saga does not declare. Nothing was written. */
export class UndeclaredStateError extends SagaflowError {
  readonly sagaName: string;
  readonly state: string;
  readonly declared: readonly string[];

  constructor(sagaName: string, state: string, declared: readonly string[]) {
    super(UNDECLARED_STATE, `saga '${sagaName}' declares no state '${state}'; declared: ${declared.join(', ')}`);
    this.sagaName = sagaName;
    this.state = state;
    this.declared = declared;
  }
}
