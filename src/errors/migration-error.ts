import { SagaflowError } from './sagaflow-error.ts';

export const MIGRATION_FAILED = 'SAGA_MIGRATION_FAILED';

/** Applying Sagaflow's migrations failed. `cause` holds the schema engine's error. */
export class MigrationError extends SagaflowError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(MIGRATION_FAILED, `sagaflow migrate failed: ${detail}`, options);
  }
}
