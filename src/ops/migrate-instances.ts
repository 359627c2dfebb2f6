/**
 * @module ops/migrate-instances
 * The eager path of saga evolution (`sagaflow instances migrate`): every live instance an older
 * definition version wrote is migrated now, in batches, each in its own version-checked write with its
 * `sagaflow.migrated` history row, exactly as the lazy path would on its next event. Safe while workers
 * run (a write that loses a race reads again, and finds the instance migrated by the worker or migrates
 * it), and resumable: it only ever selects instances still below the current version, so after a crash
 * it is simply run again.
 */
import type { CompiledSaga } from '../core/compiled-saga.ts';
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { migrateInstance } from '../evolution/migrate-instance.ts';
import type { MigrationChange } from '../evolution/migration.ts';
import { SagaStatus, type SagaRepository } from '../repository/types.ts';
import { writeMigration } from '../runtime/migrate-on-load.ts';

const LIVE = [SagaStatus.Active, SagaStatus.Compensating, SagaStatus.CompensationFailed];
/** Re-reads after losing a race to a worker before the instance is reported as failed (it is retried next run). */
const MAX_CONFLICTS = 5;

export interface MigrateInstancesOptions {
  /** Instances per page read (default 100). */
  readonly batch?: number;
  /** Compute and report, write nothing. */
  readonly dryRun?: boolean;
  /** After each batch: the saga and its running totals. */
  readonly onProgress?: (progress: SagaMigrationReport) => void;
  readonly now?: () => Date;
}

export interface SagaMigrationReport {
  readonly saga: string;
  readonly toVersion: number;
  /** Migrated (or, in a dry run, that would be). */
  readonly migrated: number;
  /** Found migrated already, finished, or gone when read again (a worker got there first). */
  readonly skipped: number;
  readonly failed: number;
  /** The first few failures. */
  readonly failures: readonly { readonly id: string; readonly correlationId: string; readonly error: string }[];
  /** In a dry run, the changes of the first few instances. */
  readonly samples: readonly { readonly id: string; readonly correlationId: string; readonly from: number; readonly changes: readonly MigrationChange[] }[];
}

/**
 * @example
 * const reports = await migrateInstances([OrderSaga.compiled], repository, { batch: 500, onProgress: console.log });
 */
export async function migrateInstances(
  sagas: readonly CompiledSaga[],
  repository: SagaRepository,
  options: MigrateInstancesOptions = {},
): Promise<readonly SagaMigrationReport[]> {
  const reports: SagaMigrationReport[] = [];
  for (const saga of sagas) reports.push(await migrateSaga(saga, repository, options));
  return reports;
}

async function migrateSaga(saga: CompiledSaga, repository: SagaRepository, options: MigrateInstancesOptions): Promise<SagaMigrationReport> {
  const toVersion = saga.definition.dataVersion;
  const now = options.now ?? (() => new Date());
  const report = { saga: saga.name, toVersion, migrated: 0, skipped: 0, failed: 0, failures: [] as SagaMigrationReport['failures'][number][], samples: [] as SagaMigrationReport['samples'][number][] };
  if (toVersion === 1) return report;
  let cursor: string | undefined;
  do {
    const page = await repository.list({
      sagaName: saga.name,
      status: LIVE,
      definitionVersionBelow: toVersion,
      order: 'asc',
      limit: options.batch ?? 100,
      ...(cursor !== undefined && { cursor }),
    });
    for (const listed of page.items) {
      try {
        const outcome = await migrateOne(saga, repository, listed.id, options.dryRun === true, now);
        if (outcome === null) report.skipped++;
        else {
          report.migrated++;
          if (options.dryRun && report.samples.length < 5) report.samples.push({ id: listed.id, correlationId: listed.correlationId, ...outcome });
        }
      } catch (error) {
        report.failed++;
        if (report.failures.length < 5) report.failures.push({ id: listed.id, correlationId: listed.correlationId, error: error instanceof Error ? error.message : String(error) });
      }
    }
    // Migrated rows leave the selection; the cursor only keeps failures from being read again.
    cursor = page.nextCursor ?? undefined;
    options.onProgress?.({ ...report });
  } while (cursor !== undefined);
  return report;
}

/** Migrates one instance, reading it fresh; null when there was nothing (left) to do. */
async function migrateOne(
  saga: CompiledSaga,
  repository: SagaRepository,
  id: string,
  dryRun: boolean,
  now: () => Date,
): Promise<{ from: number; changes: readonly MigrationChange[] } | null> {
  for (let conflicts = 0; ; conflicts++) {
    const record = await repository.findById(id);
    if (!record || record.dataVersion >= saga.definition.dataVersion || !LIVE.includes(record.status as never)) return null;
    if (dryRun) {
      const result = migrateInstance(saga, record, now());
      return { from: result.from, changes: result.changes };
    }
    try {
      await writeMigration(repository, saga, record, now());
      return { from: record.dataVersion, changes: [] };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || conflicts >= MAX_CONFLICTS) throw error;
    }
  }
}
