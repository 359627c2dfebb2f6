/**
 * @module evolution/migrate-instance
 * The pure heart of saga evolution: a stored instance written by definition version n, and the saga at
 * version m, give the instance as version m holds it, plus what changed. No I/O: the runtime's lazy path
 * (`runtime/migrate-on-load.ts`), `sagaflow instances migrate`, `sagaflow check` and `find()` all call
 * this one function, so the lazy and the eager path cannot disagree.
 */
import { FINAL_STATE } from '../dsl/activities.ts';
import type { CompiledSaga } from '../core/compiled-saga.ts';
import { InstanceMigrationError } from '../errors/instance-migration-error.ts';
import { SagaVersionNewerError } from '../errors/saga-version-newer-error.ts';
import { SagaStatus, type CompensationEntry, type JoinProgress, type SagaInstanceRecord, type ScheduleEntry } from '../repository/types.ts';
import { eventRenames, MIGRATION_FAULT, type MigrationChange, type SagaMigration, type StateTarget } from './migration.ts';

export interface MigrationResult {
  /** The instance at the saga's version (`dataVersion`); `version` and `updatedAt` are left for the writer. */
  readonly record: SagaInstanceRecord;
  readonly from: number;
  readonly to: number;
  readonly changes: readonly MigrationChange[];
  /** Outbox ids (schedule tokens) of schedules the migration dropped: cancel them in the same write. */
  readonly cancelOutbox: readonly string[];
}

/** True when `record` was written by an older definition version than `saga` (so it needs migrating). */
export function needsMigration(saga: CompiledSaga, record: SagaInstanceRecord): boolean {
  return (record.dataVersion ?? 1) < saga.definition.dataVersion;
}

/**
 * Migrates a stored instance to the saga's current definition version.
 * Throws `SagaVersionNewerError` for an instance a newer version wrote, and `InstanceMigrationError`
 * when a migration's `data` function throws or a `pick` chooses a state it did not list.
 *
 * @example
 * const { record, changes } = migrateInstance(OrderSaga.compiled, stored, new Date());
 */
export function migrateInstance(saga: CompiledSaga, stored: SagaInstanceRecord, now: Date): MigrationResult {
  const def = saga.definition;
  const from = stored.dataVersion ?? 1;
  if (from > def.dataVersion) {
    throw new SagaVersionNewerError(saga.name, stored.id, stored.correlationId, from, def.dataVersion);
  }
  const changes: MigrationChange[] = [];
  const cancelOutbox: string[] = [];
  let state = stored.state;
  let status = stored.status;
  let error = stored.error;
  let completedAt = stored.completedAt;
  let data = stored.data;
  let stack: readonly CompensationEntry[] = stored.compensation;
  let schedules: readonly ScheduleEntry[] = stored.schedules ?? [];
  let joins: JoinProgress | undefined = stored.joins;
  let compensate = false;
  const live = status !== SagaStatus.Completed && status !== SagaStatus.Faulted;

  for (let v = from; v < def.dataVersion; v++) {
    const m: SagaMigration = def.migrations[v] ?? {};
    const fail = (detail: string, cause?: unknown) =>
      new InstanceMigrationError(saga.name, stored.id, stored.correlationId, v, detail, cause === undefined ? undefined : { cause });

    // The state, with the data as this version knew it (a split picks by it).
    const target = m.states?.[state];
    let renamedState: string | undefined;
    if (target !== undefined) {
      const placed = place(target, data, fail);
      if ('fault' in placed) {
        if (live) {
          changes.push({ kind: 'fault', from: state, reason: placed.fault });
          status = SagaStatus.Faulted;
          error = { code: MIGRATION_FAULT, message: placed.fault, at: now };
          completedAt = now;
          cancelOutbox.push(...schedules.map((s) => s.token));
          for (const s of schedules) changes.push({ kind: 'schedule-cancelled', key: s.key, type: s.type });
          schedules = [];
          joins = undefined;
        }
        state = FINAL_STATE;
      } else {
        changes.push(placed.compensate ? { kind: 'compensate', from: state, to: placed.to } : { kind: 'state', from: state, to: placed.to });
        if (placed.compensate && live) compensate = true;
        renamedState = state;
        state = placed.to;
      }
    }

    const events = eventRenames(m);
    const commands = m.commands ?? {};
    if (schedules.length) {
      schedules = schedules.map((s) => {
        const type = events.get(s.type) ?? s.type;
        const key = renamedKey(s.key, renamedState, state, commands);
        if (type === s.type && key === s.key) return s;
        changes.push({ kind: 'schedule', key: s.key, from: s.type, to: type, ...(key !== s.key && { newKey: key }) });
        return { ...s, type, key };
      });
    }
    if (joins && events.size) {
      const next: Record<string, readonly string[]> = {};
      for (const [composite, arrived] of Object.entries(joins)) {
        const to = events.get(composite) ?? composite;
        if (to !== composite) changes.push({ kind: 'join', from: composite, to });
        next[to] = arrived.map((e) => events.get(e) ?? e);
      }
      joins = next;
    }
    const steps = m.compensations;
    if (steps && stack.length) {
      const next: CompensationEntry[] = [];
      for (const entry of stack) {
        if (!(entry.name in steps)) {
          next.push(entry);
          continue;
        }
        const to = steps[entry.name] ?? null;
        changes.push({ kind: 'compensation', from: entry.name, to });
        if (to !== null) next.push({ ...entry, name: to });
      }
      stack = next;
    }
    if (m.data) {
      try {
        data = m.data(data);
      } catch (cause) {
        throw fail(`its data function threw: ${String(cause)}`, cause);
      }
      changes.push({ kind: 'data', version: v + 1 });
    }
  }

  if (compensate && status !== SagaStatus.Compensating && status !== SagaStatus.CompensationFailed) {
    if (stack.length > 0) {
      status = SagaStatus.Compensating;
      error = null;
    } else if (saga.finalStates.has(state)) {
      status = SagaStatus.Faulted;
      completedAt = now;
    }
  }
  const record: SagaInstanceRecord = {
    ...stored,
    state,
    status,
    error,
    completedAt,
    data,
    dataVersion: def.dataVersion,
    compensation: stack,
    schedules: schedules.length ? schedules : undefined,
    joins,
  };
  return { record, from, to: def.dataVersion, changes, cancelOutbox };
}

type Placed = { readonly to: string; readonly compensate: boolean } | { readonly fault: string };

function place(target: StateTarget, data: unknown, fail: (detail: string, cause?: unknown) => Error): Placed {
  if (typeof target === 'string') return { to: target, compensate: false };
  if ('fault' in target) return { fault: target.fault };
  if ('compensate' in target) return { to: target.compensate, compensate: true };
  let chosen: unknown;
  try {
    chosen = target.pick(data);
  } catch (cause) {
    throw fail(`its pick function threw: ${String(cause)}`, cause);
  }
  if (typeof chosen !== 'string' || !target.among.includes(chosen)) {
    throw fail(`pick chose ${JSON.stringify(chosen)}, not one of ${target.among.join(', ')}`);
  }
  return { to: chosen, compensate: false };
}

/** A state's timeout follows its state; a request follows its renamed command. */
function renamedKey(key: string, oldState: string | undefined, newState: string, commands: Readonly<Record<string, string>>): string {
  if (oldState !== undefined && key === `timeout:${oldState}`) return `timeout:${newState}`;
  if (key.startsWith('request:')) {
    const to = commands[key.slice('request:'.length)];
    if (to !== undefined) return `request:${to}`;
  }
  return key;
}
