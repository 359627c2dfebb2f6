/**
 * @module cli/list-command
 *
 * `sagaflow list`: instances, newest update first, filtered by saga, state, status, staleness or
 * correlation id; a table, or with `--json` the API's page (`{ items, nextCursor }`).
 */
import type { InstanceFilter, SagaOperations } from '../ops/saga-operations.ts';
import { age, table } from './format.ts';
import type { CliIo } from './io.ts';

export interface ListOptions extends InstanceFilter {
  readonly json?: boolean;
}

/**
 * @example
 * await listCommand(ops, { saga: 'order', status: ['compensation_failed'] }, processIo);
 * @returns the exit code
 */
export async function listCommand(ops: SagaOperations, options: ListOptions, io: CliIo): Promise<number> {
  const { json, ...filter } = options;
  const page = await ops.listInstances(filter);
  if (json) {
    io.out(JSON.stringify(page, null, 2));
    return 0;
  }
  if (page.items.length === 0) {
    io.out('no instances match');
    return 0;
  }
  const now = io.now();
  const rows = page.items.map((i) => [
    i.sagaName,
    i.correlationId,
    i.state,
    i.status,
    String(i.version),
    `v${i.definitionVersion}`,
    age(i.updatedAt, now),
    i.id,
  ]);
  for (const line of table(['SAGA', 'CORRELATION ID', 'STATE', 'STATUS', 'VERSION', 'DEFINITION', 'UPDATED', 'ID'], rows)) io.out(line);
  if (page.nextCursor) io.out(`\nmore: add --cursor ${page.nextCursor}`);
  return 0;
}
