/**
 * @module cli/show-command
 *
 * `sagaflow show <id | correlation id>`: one instance with its data, version, compensation stack,
 * pending schedules and history; with `--json` the API's `{ instance, history }`.
 */
import type { SagaOperations } from '../ops/saga-operations.ts';
import type { InstanceDetail } from '../ops/views.ts';
import { indentedJson, preview, table } from './format.ts';
import type { CliIo } from './io.ts';

export interface ShowOptions {
  /** Look `key` up as a correlation id of this saga. */
  readonly saga?: string;
  readonly json?: boolean;
}

/**
 * @example
 * await showCommand(ops, 'order-42', { saga: 'order' }, processIo);
 * @returns the exit code
 */
export async function showCommand(ops: SagaOperations, key: string, options: ShowOptions, io: CliIo): Promise<number> {
  const detail = await ops.findInstance(key, options.saga);
  if (options.json) io.out(JSON.stringify(detail, null, 2));
  else for (const line of describe(detail)) io.out(line);
  return 0;
}

/** The human-readable form, section by section. */
export function describe({ instance: i, history }: InstanceDetail): string[] {
  const lines = [
    `${i.sagaName} ${i.correlationId}`,
    `  id          ${i.id}`,
    `  state       ${i.state}`,
    `  status      ${i.status}`,
    `  version     ${i.version}`,
    `  definition  version ${i.definitionVersion}`,
    `  created     ${i.createdAt}`,
    `  updated     ${i.updatedAt}`,
    `  completed   ${i.completedAt ?? '-'}`,
  ];
  if (i.error) lines.push(`  error       ${i.error.code}${i.error.step ? ` in step '${i.error.step}'` : ''}: ${i.error.message} (${i.error.at})`);
  lines.push('', 'data', ...indentedJson(i.data));
  lines.push('', 'compensation stack (top first)');
  if (i.compensation.length === 0) lines.push('  (empty)');
  [...i.compensation].reverse().forEach((c, n) => lines.push(`  ${n + 1}. ${c.name} ${preview(c.args)}${c.attempts > 0 ? `  (attempts: ${c.attempts})` : ''}`));
  lines.push('', 'schedules');
  if (i.schedules.length === 0) lines.push('  (none)');
  for (const s of i.schedules) lines.push(`  ${s.key}: ${s.type} due ${s.dueAt}`);
  lines.push('', 'history');
  const rows = history.map((h) => [
    `#${h.sequence}`,
    h.at,
    h.eventType,
    `${h.stateBefore ?? '(new)'} -> ${h.stateAfter}`,
    h.sent.map((m) => `${m.kind} ${m.type}`).join(', '),
  ]);
  lines.push(...table(['SEQ', 'AT', 'EVENT', 'TRANSITION', 'SENT'], rows, 80).map((l) => `  ${l}`));
  return lines;
}
