/**
 * @module cli/export-command
 *
 * `sagaflow export --saga NAME [--state S] [--status LIST] [--limit N] [--out FILE]`: a saga's instances
 * with their journals as JSON lines (docs/replay.md), most recently updated first, for `sagaflow replay`.
 * To stdout, or to a file (then a one-line summary goes to stderr).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { exportHistories, type ExportFilter } from '../ops/export-histories.ts';
import type { SagaRepository } from '../repository/types.ts';
import type { CliIo } from './io.ts';

export interface ExportOptions extends ExportFilter {
  /** A file to write; default stdout. */
  readonly out?: string;
}

/**
 * @example
 * await exportCommand(repository, { saga: 'order', limit: 1000, out: 'orders.jsonl' }, processIo);
 * @returns the exit code
 */
export async function exportCommand(repository: SagaRepository, options: ExportOptions, io: CliIo): Promise<number> {
  const { out, ...filter } = options;
  let count = 0;
  if (out === undefined) {
    for await (const line of exportHistories(repository, filter)) {
      io.out(JSON.stringify(line));
      count++;
    }
    return 0;
  }
  const file = createWriteStream(out, { encoding: 'utf8' });
  const failed = once(file, 'error').then(([error]) => Promise.reject(error as Error));
  failed.catch(() => {}); // observed below, where it matters
  try {
    for await (const line of exportHistories(repository, filter)) {
      if (!file.write(`${JSON.stringify(line)}\n`)) await Promise.race([once(file, 'drain'), failed]);
      count++;
    }
  } finally {
    file.end();
  }
  await Promise.race([once(file, 'finish'), failed]);
  io.err(`exported ${count} instance${count === 1 ? '' : 's'} of saga '${filter.saga}' to ${out}`);
  return 0;
}
