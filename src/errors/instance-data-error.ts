import type { z } from 'zod';
import { SagaflowError } from './sagaflow-error.ts';

export const INSTANCE_DATA_INVALID = 'SAGA_DATA_INVALID';

/**
 * An instance's data does not match the saga's data schema: either a stored row drifted from the
 * schema (when loading), or actions left the data invalid (before writing). Nothing was written.
 */
export class InstanceDataError extends SagaflowError {
  readonly sagaName: string;
  readonly instanceId: string;
  readonly correlationId: string;
  readonly issues: readonly z.core.$ZodIssue[];

  constructor(
    sagaName: string,
    instanceId: string,
    correlationId: string,
    when: 'load' | 'write',
    issues: readonly z.core.$ZodIssue[],
  ) {
    const summary = issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    const advice =
      when === 'load'
        ? 'the stored data no longer matches the schema: add a data upgrade (see docs/persistence.md)'
        : 'an action left the data invalid';
    super(
      INSTANCE_DATA_INVALID,
      `saga '${sagaName}' instance ${instanceId} ('${correlationId}'): ${advice}: ${summary}`,
    );
    this.sagaName = sagaName;
    this.instanceId = instanceId;
    this.correlationId = correlationId;
    this.issues = issues;
  }
}
