/**
 * @module cli/instances-command
 *
 * `sagaflow instances migrate --sagas FILE [--saga NAME] [--dry-run] [--batch N] [--json]`: migrates
 * every live instance an older definition version wrote, now, with progress on stderr. Safe while
 * workers run; run it again after a crash (it picks up what is left). Exit code 1 when some instance
 * could not be migrated.
 */
import type { AnySaga } from '../dsl/saga.ts';
import { migrateInstances } from '../ops/migrate-instances.ts';
import type { SagaRepository } from '../repository/types.ts';
import { selectSagas } from './check-command.ts';
import type { CliIo } from './io.ts';

export interface InstancesMigrateOptions {
  readonly saga?: string;
  readonly dryRun?: boolean;
  readonly batch?: number;
  readonly json?: boolean;
}

/**
 * @example
 * await instancesMigrateCommand(sagas, repository, { batch: 500 }, processIo);
 * @returns 0 when every instance was migrated (or would be), 1 when some failed
 */
export async function instancesMigrateCommand(
  sagas: readonly AnySaga[],
  repository: SagaRepository,
  options: InstancesMigrateOptions,
  io: CliIo,
): Promise<number> {
  const chosen = selectSagas(sagas, options.saga);
  const verb = options.dryRun ? 'would migrate' : 'migrated';
  const reports = await migrateInstances(
    chosen.map((s) => s.compiled),
    repository,
    {
      batch: options.batch ?? 100,
      dryRun: options.dryRun === true,
      onProgress: (p) => io.err(`${p.saga}: ${verb} ${p.migrated}, skipped ${p.skipped}, failed ${p.failed} (to version ${p.toVersion})`),
    },
  );
  if (options.json) io.out(JSON.stringify({ dryRun: options.dryRun === true, sagas: reports }, null, 2));
  else {
    for (const r of reports) {
      io.out(`${r.saga}: ${verb} ${r.migrated} to version ${r.toVersion}, skipped ${r.skipped}, failed ${r.failed}`);
      for (const f of r.failures) io.out(`  failed ${f.correlationId} (${f.id}): ${f.error}`);
      for (const s of r.samples) io.out(`  ${s.correlationId}: v${s.from} -> v${r.toVersion}: ${s.changes.map(describeChange).join('; ') || 'no change'}`);
    }
  }
  return reports.some((r) => r.failed > 0) ? 1 : 0;
}

function describeChange(c: { kind: string } & Record<string, unknown>): string {
  switch (c.kind) {
    case 'state':
      return `state ${c.from} -> ${c.to}`;
    case 'compensate':
      return `state ${c.from} -> ${c.to}, compensate`;
    case 'fault':
      return `fault in ${c.from}: ${c.reason}`;
    case 'compensation':
      return `step ${c.from} -> ${c.to ?? '(dropped)'}`;
    case 'data':
      return `data to v${c.version}`;
    default:
      return `${c.kind} ${String(c.key ?? c.from ?? '')} -> ${String(c.newKey ?? c.to ?? '')}`;
  }
}
