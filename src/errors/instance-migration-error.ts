import { SagaflowError } from './sagaflow-error.ts';

export const INSTANCE_MIGRATION_FAILED = 'SAGA_INSTANCE_MIGRATION_FAILED';

/**
 * A stored instance could not be migrated to the current definition version: a migration's data
 * function threw, or a state's `pick` chose a state it did not declare. Nothing was written.
 */
export class InstanceMigrationError extends SagaflowError {
  readonly sagaName: string;
  readonly instanceId: string;
  readonly correlationId: string;
  /** The version whose migration failed (to `fromVersion + 1`). */
  readonly fromVersion: number;

  constructor(sagaName: string, instanceId: string, correlationId: string, fromVersion: number, detail: string, options?: { cause?: unknown }) {
    super(
      INSTANCE_MIGRATION_FAILED,
      `saga '${sagaName}' instance ${instanceId} ('${correlationId}'): migration from version ${fromVersion} to ${fromVersion + 1} failed: ${detail}`,
      options,
    );
    this.sagaName = sagaName;
    this.instanceId = instanceId;
    this.correlationId = correlationId;
    this.fromVersion = fromVersion;
  }
}
