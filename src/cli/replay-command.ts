/**
 * @module cli/replay-command
 *
 * `sagaflow replay --sagas FILE --from FILE.jsonl [--json]`: runs exported histories through the
 * definitions in the sagas module (on the test harness: nothing is written anywhere, no handler's
 * effects run) and prints, per instance, where the definition departs from what happened. Exit code 1
 * when any instance diverges, 0 when all replay as recorded: a check to run in CI before a deploy.
 */
import { readFile } from 'node:fs/promises';
import type { AnySaga } from '../dsl/saga.ts';
import { replayHistories, type InstanceReplay, type ReplayReport } from '../replay/replay-histories.ts';
import type { CliIo } from './io.ts';
import { table } from './format.ts';

export interface ReplayCommandOptions {
  /** The exported histories (JSON lines). */
  readonly from: string;
  readonly json?: boolean;
  /** Run the compensation handlers instead of recording them (and compare their messages). */
  readonly runCompensations?: boolean;
}

/**
 * @example
 * await replayCommand(await loadSagas('./src/sagas.ts'), { from: 'orders.jsonl' }, processIo);
 * @returns 0 when every instance replays as recorded, 1 otherwise
 */
export async function replayCommand(sagas: readonly AnySaga[], options: ReplayCommandOptions, io: CliIo): Promise<number> {
  const text = await readFile(options.from, 'utf8');
  const report = await replayHistories(sagas, text, { runCompensations: options.runCompensations === true });
  if (options.json) io.out(JSON.stringify(report, null, 2));
  else for (const line of describe(report)) io.out(line);
  return report.ok ? 0 : 1;
}

function describe(report: ReplayReport): string[] {
  const rows = report.instances.map((i) => [i.saga, i.correlationId, `${i.matched}/${i.rows}`, verdict(i)]);
  const n = report.instances.length;
  const summary = report.ok
    ? `all ${n} instance${n === 1 ? '' : 's'} replay as recorded`
    : `${report.diverged} of ${n} instance${n === 1 ? '' : 's'} diverge`;
  // The reasons in full, below the table, which would cut them.
  const reasons = report.instances.filter((i) => i.divergence !== null).map((i) => `${i.saga} ${i.correlationId}: ${i.divergence!.message}`);
  return [...table(['SAGA', 'CORRELATION ID', 'ROWS', 'RESULT'], rows), ...(reasons.length ? ['', ...reasons] : []), '', summary];
}

function verdict(i: InstanceReplay): string {
  const d = i.divergence;
  if (d === null) return 'ok';
  const seq = d.sequence === undefined ? '' : ` (#${d.sequence})`;
  return `${d.kind} at row ${d.index}${seq} ${d.type}`;
}
