/**
 * @module cli/check-command
 *
 * `sagaflow check --sagas FILE [--saga NAME] [--json]`: the deploy gate. Loads the definitions about to
 * be deployed, reads every live instance of their sagas, and reports the ones they could not run (after
 * their migrations): exit code 1 if any would be stranded, 0 otherwise, so CI can run it before a deploy.
 */
import type { AnySaga } from '../dsl/saga.ts';
import { checkSagas, type CheckReport } from '../evolution/check-report.ts';
import type { SagaRepository } from '../repository/types.ts';
import { table } from './format.ts';
import type { CliIo } from './io.ts';

export interface CheckOptions {
  readonly saga?: string;
  readonly json?: boolean;
}

/**
 * @example
 * const code = await checkCommand(sagas, repository, { json: true }, processIo);
 * @returns 0 when nothing would be stranded, 1 otherwise
 */
export async function checkCommand(sagas: readonly AnySaga[], repository: SagaRepository, options: CheckOptions, io: CliIo): Promise<number> {
  const chosen = selectSagas(sagas, options.saga);
  const report = await checkSagas(chosen.map((s) => s.compiled), repository, new Date(io.now()));
  if (options.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of describeCheck(report)) io.out(line);
  return report.ok ? 0 : 1;
}

/** The sagas a `--saga` option names (all without it); an unknown name is an error. */
export function selectSagas(sagas: readonly AnySaga[], name: string | undefined): readonly AnySaga[] {
  if (name === undefined) return sagas;
  const found = sagas.filter((s) => s.name === name);
  if (found.length === 0) throw new Error(`the sagas module has no saga '${name}'; it has ${sagas.map((s) => s.name).join(', ')}`);
  return found;
}

function describeCheck(report: CheckReport): string[] {
  const lines: string[] = [];
  for (const s of report.sagas) {
    const versions = Object.entries(s.byVersion).map(([v, n]) => `v${v}: ${n}`).join(', ') || 'none';
    lines.push(`${s.saga} (definition version ${s.version}): ${s.live} live (${versions}), ${s.stranded} stranded`);
    if (s.problems.length) {
      const rows = s.problems.map((p) => [p.kind, String(p.count), p.examples.map((e) => `${e.correlationId} (${e.detail})`).join(', ')]);
      lines.push(...table(['PROBLEM', 'COUNT', 'EXAMPLES'], rows, 120).map((l) => `  ${l}`));
    }
  }
  lines.push(report.ok ? 'ok: every live instance can be handled' : 'FAILED: live instances would be stranded (see docs/evolution.md)');
  return lines;
}
