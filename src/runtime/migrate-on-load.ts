/**
 * @module runtime/migrate-on-load
 * Writes a migration: an instance an older definition version wrote becomes one of the current version,
 * in one conditional write with one `sagaflow.migrated` history row (from and to version, what changed).
 * The lazy path (an event for an old instance, a compensation resumed) and `sagaflow instances migrate`
 * both write it through here, so both leave the same instance and the same history.
 */
import type { CompiledSaga } from '../core/compiled-saga.ts';
import { migrateInstance } from '../evolution/migrate-instance.ts';
import { MIGRATED_EVENT, type MigrationChange } from '../evolution/migration.ts';
import { uuidv7 } from '../messages/uuid-v7.ts';
import type { SagaInstanceRecord, SagaRepository } from '../repository/types.ts';

/** The payload of a `sagaflow.migrated` history row. */
export interface MigratedPayload {
  readonly from: number;
  readonly to: number;
  readonly changes: readonly MigrationChange[];
}

/**
 * Migrates `record` (read at its `version`) and commits it, version-checked: a concurrent write makes it
 * throw `ConcurrencyError` and change nothing, so the caller reads again (and usually finds it migrated).
 * Throws `SagaVersionNewerError` for an instance a newer version wrote, without writing.
 *
 * @example
 * const current = await writeMigration(repository, OrderSaga.compiled, stored, new Date());
 */
export async function writeMigration(
  repository: SagaRepository,
  saga: CompiledSaga,
  record: SagaInstanceRecord,
  now: Date,
): Promise<SagaInstanceRecord> {
  const result = migrateInstance(saga, record, now);
  const next: SagaInstanceRecord = { ...result.record, version: record.version + 1, updatedAt: now };
  const payload: MigratedPayload = { from: result.from, to: result.to, changes: result.changes };
  await repository.commit({
    kind: 'update',
    instance: next,
    expectedVersion: record.version,
    history: {
      instanceId: record.id,
      sequence: next.version,
      messageId: uuidv7(now.getTime()),
      eventType: MIGRATED_EVENT,
      stateBefore: record.state,
      stateAfter: next.state,
      payload,
      at: now,
    },
    ...(result.cancelOutbox.length && { cancelOutbox: result.cancelOutbox }),
  });
  return next;
}
