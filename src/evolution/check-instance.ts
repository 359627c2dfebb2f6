/**
 * @module evolution/check-instance
 * The deploy gate's core, pure: could this definition run this stored instance? It migrates the instance
 * the way loading it would (`migrateInstance`) and then looks for what would strand it. `sagaflow check`
 * and the orchestrator's start-up check both call it.
 */
import type { CompiledSaga } from '../core/compiled-saga.ts';
import { SagaVersionNewerError } from '../errors/saga-version-newer-error.ts';
import { SagaStatus, type SagaInstanceRecord } from '../repository/types.ts';
import { migrateInstance } from './migrate-instance.ts';

/** Stable kinds of problem; the CLI's JSON output uses them. */
export type InstanceProblemKind =
  | 'version-newer'
  | 'migration-failed'
  | 'unknown-state'
  | 'unhandled-schedule'
  | 'missing-compensation'
  | 'invalid-data'
  | 'removed-join';

export interface InstanceProblem {
  readonly kind: InstanceProblemKind;
  /** What exactly: the state, the schedule's event, the step, the join, or the first schema issue. */
  readonly detail: string;
}

/** True for an instance that still waits for something (not completed, not faulted). */
export function isLive(record: SagaInstanceRecord): boolean {
  return record.status !== SagaStatus.Completed && record.status !== SagaStatus.Faulted;
}

/**
 * What would stop `saga` from running `record` (after its migrations); `[]` when nothing would.
 *
 * @example
 * const problems = instanceProblems(OrderSaga.compiled, stored, new Date());
 * if (problems.length) console.log(problems.map((p) => `${p.kind}: ${p.detail}`));
 */
export function instanceProblems(saga: CompiledSaga, record: SagaInstanceRecord, now: Date): readonly InstanceProblem[] {
  let migrated: SagaInstanceRecord;
  try {
    migrated = migrateInstance(saga, record, now).record;
  } catch (error) {
    if (error instanceof SagaVersionNewerError) {
      return [{ kind: 'version-newer', detail: `written by version ${error.instanceVersion}, this definition is version ${error.definitionVersion}` }];
    }
    return [{ kind: 'migration-failed', detail: error instanceof Error ? error.message : String(error) }];
  }
  if (!isLive(migrated)) return [];
  const problems: InstanceProblem[] = [];
  const handlers = saga.table.get(migrated.state);
  if (handlers === undefined) problems.push({ kind: 'unknown-state', detail: migrated.state });
  for (const s of migrated.schedules ?? []) {
    const event = saga.events.get(s.type);
    // A fired schedule the state does not take is dead-lettered, unless the event's policy ignores it.
    if (event === undefined || (handlers !== undefined && !handlers.has(s.type) && event.unhandled !== 'ignore')) {
      problems.push({ kind: 'unhandled-schedule', detail: `${s.key} (${s.type})` });
    }
  }
  for (const entry of migrated.compensation) {
    if (!saga.compensations.has(entry.name)) problems.push({ kind: 'missing-compensation', detail: entry.name });
  }
  for (const [composite, arrived] of Object.entries(migrated.joins ?? {})) {
    // The join must still exist, and count every event that already arrived toward it.
    const still = arrived.every((type) => saga.joins.get(type)?.some((j) => j.name === composite));
    if (!saga.definition.joins.has(composite) || !still) problems.push({ kind: 'removed-join', detail: composite });
  }
  const parsed = saga.definition.dataSchema.safeParse(migrated.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    problems.push({ kind: 'invalid-data', detail: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid' });
  }
  return problems;
}
