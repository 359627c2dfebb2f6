import { SagaflowError } from './sagaflow-error.ts';

export const DEFINITION_ERROR = 'SAGA_DEFINITION_INVALID';

/** Where in a saga definition a mistake was found. */
export interface DefinitionLocation {
  readonly saga: string;
  readonly state?: string;
  readonly event?: string;
}

/** A saga definition is inconsistent. Thrown when the saga is defined, never while events run. */
export class DefinitionError extends SagaflowError {
  readonly saga: string;
  readonly state: string | undefined;
  readonly event: string | undefined;

  constructor(where: DefinitionLocation, problem: string) {
    const place = [`saga '${where.saga}'`];
    if (where.state !== undefined) place.push(`state '${where.state}'`);
    if (where.event !== undefined) place.push(`event '${where.event}'`);
    super(DEFINITION_ERROR, `${place.join(', ')}: ${problem}`);
    this.saga = where.saga;
    this.state = where.state;
    this.event = where.event;
  }
}
