import { SagaflowError } from './sagaflow-error.ts';

export const INSTANCES_STRANDED = 'SAGA_INSTANCES_STRANDED';

/**
 * The orchestrator's start-up check (`startupCheck: 'refuse'`) found live instances its definitions
 * cannot handle. `report` is the check's report (`CheckReport`); `sagaflow check` prints the same.
 */
export class StrandedInstancesError extends SagaflowError {
  readonly report: unknown;

  constructor(summary: string, report: unknown) {
    super(INSTANCES_STRANDED, `live instances the loaded definitions cannot handle: ${summary} (run sagaflow check; see docs/evolution.md)`);
    this.report = report;
  }
}
