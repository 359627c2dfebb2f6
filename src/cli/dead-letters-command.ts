/**
 * @module cli/dead-letters-command
 *
 * `sagaflow dead-letters list|show|replay|discard`: messages that were given up on. `replay` dispatches
 * the message in this process when `--sagas` is given, and otherwise queues it in the outbox for the
 * workers' relays.
 */
import type { Actor } from '../ops/repair/audit.ts';
import type { DeadLetterFilter, SagaOperations } from '../ops/saga-operations.ts';
import { age, indentedJson, table } from './format.ts';
import type { CliIo } from './io.ts';

/**
 * @example
 * await deadLettersListCommand(ops, { reason: 'unknown-event' }, processIo);
 * @returns the exit code
 */
export async function deadLettersListCommand(ops: SagaOperations, options: DeadLetterFilter & { readonly json?: boolean }, io: CliIo): Promise<number> {
  const { json, ...filter } = options;
  const page = await ops.deadLetters(filter);
  if (json) {
    io.out(JSON.stringify(page, null, 2));
    return 0;
  }
  if (page.items.length === 0) {
    io.out('no dead letters');
    return 0;
  }
  const now = io.now();
  const rows = page.items.map((d) => [
    d.id,
    d.reason,
    d.messageType ?? '-',
    d.sagaName ?? '-',
    d.correlationId ?? '-',
    String(d.replays),
    age(d.createdAt, now),
    `${d.errorCode}: ${d.errorMessage}`,
  ]);
  for (const line of table(['ID', 'REASON', 'TYPE', 'SAGA', 'CORRELATION ID', 'REPLAYS', 'CREATED', 'ERROR'], rows)) io.out(line);
  if (page.nextCursor) io.out(`\nmore: add --cursor ${page.nextCursor}`);
  return 0;
}

export async function deadLetterShowCommand(ops: SagaOperations, id: string, options: { readonly json?: boolean }, io: CliIo): Promise<number> {
  const letter = await ops.deadLetter(id);
  if (options.json) {
    io.out(JSON.stringify({ deadLetter: letter }, null, 2));
    return 0;
  }
  io.out(`dead letter ${letter.id}`);
  io.out(`  reason      ${letter.reason}`);
  io.out(`  error       ${letter.errorCode}: ${letter.errorMessage}`);
  io.out(`  message     ${letter.messageType ?? '-'} ${letter.messageId ?? ''}`.trimEnd());
  io.out(`  saga        ${letter.sagaName ?? '-'} ${letter.correlationId ?? ''}`.trimEnd());
  io.out(`  replays     ${letter.replays}`);
  io.out(`  created     ${letter.createdAt}`);
  io.out(`  updated     ${letter.updatedAt}`);
  io.out('');
  io.out('envelope');
  for (const line of indentedJson(letter.envelope)) io.out(line);
  return 0;
}

export interface LetterActionOptions {
  readonly json?: boolean;
  /** Who acts and why: the action is recorded in the audit trail of the instance the letter names. */
  readonly actor: Actor;
}

export async function deadLetterReplayCommand(ops: SagaOperations, id: string, options: LetterActionOptions, io: CliIo): Promise<number> {
  const { result, audit } = await ops.repair.replayDeadLetter(id, options.actor);
  if (options.json) io.out(JSON.stringify({ result, audit }, null, 2));
  else if (result.outcome === 'queued') io.out(`queued ${result.type} ${result.messageId} in the outbox; the workers' relays will deliver it`);
  else io.out(`replayed ${id}: ${JSON.stringify(result.dispatch)}`);
  return 0;
}

export async function deadLetterDiscardCommand(ops: SagaOperations, id: string, options: LetterActionOptions, io: CliIo): Promise<number> {
  const result = await ops.repair.discardDeadLetter(id, options.actor);
  io.out(options.json ? JSON.stringify(result) : `discarded ${id}`);
  return 0;
}
