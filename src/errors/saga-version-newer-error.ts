import { SagaflowError } from './sagaflow-error.ts';

export const SAGA_VERSION_NEWER = 'SAGA_VERSION_NEWER';

/**
 * An instance was last written by a newer version of its saga's definition than the one this process
 * runs (an old worker during a rolling deploy, or after a rollback). The process leaves it alone rather
 * than undo the migration: nothing was written. `receive()` does not dead-letter it: the message goes
 * back to the transport, so a worker on the new code can take it (docs/evolution.md).
 */
export class SagaVersionNewerError extends SagaflowError {
  readonly sagaName: string;
  readonly instanceId: string;
  readonly correlationId: string;
  /** The version that last wrote the instance. */
  readonly instanceVersion: number;
  /** The version this process runs. */
  readonly definitionVersion: number;

  constructor(sagaName: string, instanceId: string, correlationId: string, instanceVersion: number, definitionVersion: number) {
    super(
      SAGA_VERSION_NEWER,
      `saga '${sagaName}' instance ${instanceId} ('${correlationId}') was written by definition version ${instanceVersion}, ` +
        `newer than this process's version ${definitionVersion}: left untouched; deploy the new version to every worker ` +
        '(or, rolling back, keep the newer definition\'s migrations; see docs/evolution.md)',
    );
    this.sagaName = sagaName;
    this.instanceId = instanceId;
    this.correlationId = correlationId;
    this.instanceVersion = instanceVersion;
    this.definitionVersion = definitionVersion;
  }
}
