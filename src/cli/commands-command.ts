/**
 * @module cli/commands-command
 *
 * `sagaflow commands list|show`: the commands handlers took, with their outcomes, attempts and leases
 * (`sagaflow_commands`).
 */
import type { CommandFilter, SagaOperations } from '../ops/saga-operations.ts';
import { age, indentedJson, table } from './format.ts';
import type { CliIo } from './io.ts';

/**
 * @example
 * await commandsListCommand(ops, { status: 'failed' }, processIo);
 * @returns the exit code
 */
export async function commandsListCommand(ops: SagaOperations, options: CommandFilter & { readonly json?: boolean }, io: CliIo): Promise<number> {
  const { json, ...filter } = options;
  const page = await ops.commands(filter);
  if (json) {
    io.out(JSON.stringify(page, null, 2));
    return 0;
  }
  if (page.items.length === 0) {
    io.out('no handled commands');
    return 0;
  }
  const now = io.now();
  const rows = page.items.map((c) => [
    c.id,
    c.commandType,
    c.status,
    String(c.attempts),
    c.target ?? '-',
    c.correlationId ?? '-',
    age(c.createdAt, now),
    c.error ? `${c.error.code}: ${c.error.message}` : '',
  ]);
  for (const line of table(['ID', 'TYPE', 'STATUS', 'ATTEMPTS', 'TARGET', 'CORRELATION ID', 'CREATED', 'ERROR'], rows)) io.out(line);
  if (page.nextCursor) io.out(`\nmore: add --cursor ${page.nextCursor}`);
  return 0;
}

export async function commandShowCommand(ops: SagaOperations, id: string, options: { readonly json?: boolean }, io: CliIo): Promise<number> {
  const command = await ops.command(id);
  if (options.json) {
    io.out(JSON.stringify({ command }, null, 2));
    return 0;
  }
  io.out(`command ${command.id}`);
  io.out(`  type        ${command.commandType}`);
  io.out(`  status      ${command.status} after ${command.attempts} attempt${command.attempts === 1 ? '' : 's'}`);
  io.out(`  target      ${command.target ?? '-'}`);
  io.out(`  correlation ${command.correlationId ?? '-'}`);
  io.out(`  created     ${command.createdAt}`);
  io.out(`  finished    ${command.finishedAt ?? (command.leaseUntil ? `running, lease until ${command.leaseUntil}` : '-')}`);
  if (command.error) io.out(`  error       ${command.error.code}: ${command.error.message}`);
  if (command.output !== null) {
    io.out('');
    io.out('output');
    for (const line of indentedJson(command.output)) io.out(line);
  }
  io.out('');
  io.out('envelope');
  for (const line of indentedJson(command.envelope)) io.out(line);
  return 0;
}
