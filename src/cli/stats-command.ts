/**
 * @module cli/stats-command
 *
 * `sagaflow stats`: how many instances are in each saga, state and status; with `--json` the API's
 * `{ counts }`.
 */
import type { SagaOperations } from '../ops/saga-operations.ts';
import { table } from './format.ts';
import type { CliIo } from './io.ts';

/**
 * @example
 * await statsCommand(ops, { saga: 'order' }, processIo);
 * @returns the exit code
 */
export async function statsCommand(ops: SagaOperations, options: { readonly saga?: string; readonly json?: boolean }, io: CliIo): Promise<number> {
  const stats = await ops.stats(options.saga);
  if (options.json) {
    io.out(JSON.stringify(stats, null, 2));
    return 0;
  }
  if (stats.counts.length === 0) {
    io.out(options.saga ? `saga '${options.saga}' has no instances` : 'no instances');
    return 0;
  }
  const rows = stats.counts.map((c) => [c.sagaName, c.state, c.status, String(c.count)]);
  for (const line of table(['SAGA', 'STATE', 'STATUS', 'COUNT'], rows)) io.out(line);
  const totals = new Map<string, number>();
  for (const c of stats.counts) totals.set(c.sagaName, (totals.get(c.sagaName) ?? 0) + c.count);
  io.out('');
  for (const [saga, total] of totals) io.out(`${saga}: ${total} instance${total === 1 ? '' : 's'}`);
  return 0;
}
