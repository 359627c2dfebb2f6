/**
 * @module cli/repair-commands
 *
 * `sagaflow send | transition | cancel | retry-compensation | bulk | audit`: an operator's repairs from
 * the command line, each with a required `--reason`, recorded in the instance's history with the
 * principal `cli:<os user>` (or `--as <name>`). A bulk action without `--yes <count>` is a dry run that
 * prints the count and the command that confirms it. Registered by `cli/program` in one line.
 */
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defined } from '../ops/defined.ts';
import type { AuditEntryView } from '../ops/repair/audit-trail.ts';
import type { BulkResult } from '../ops/repair/bulk.ts';
import { storeFilter } from '../ops/search.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import { DeadLetterReason, SagaStatus } from '../repository/types.ts';
import type { ConnectionOptions } from './connect.ts';
import { withOperations } from './connect.ts';
import { age, preview, table } from './format.ts';
import type { CliIo } from './io.ts';

export interface RepairCliDeps {
  readonly io: CliIo;
  readonly run: (promise: Promise<number>) => Promise<void>;
  readonly connection: (command: Command) => ConnectionOptions;
}

interface ActorOptions {
  readonly reason: string;
  readonly as?: string;
  readonly json?: boolean;
}

/** Who the CLI acts as: `--as`, else `cli:<the OS user>`. */
export function cliPrincipal(io: CliIo, as?: string): string {
  if (as !== undefined && as.length > 0) return as;
  let user = io.env.USER ?? io.env.USERNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return `cli:${user}`;
}

function jsonArgument(what: string) {
  return (value: string): unknown => {
    try {
      return JSON.parse(value);
    } catch {
      throw new InvalidArgumentError(`${what} must be JSON, e.g. '{"orderId":"o-1"}'`);
    }
  };
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected the count the dry run printed');
  return n;
}

/** The options every repair takes. */
function acting(command: Command): Command {
  return command
    .requiredOption('--reason <text>', 'why (kept in the audit record)')
    .option('--as <name>', 'the principal to record (default cli:<os user>)')
    .option('--json', 'print JSON');
}

/** An instance's id from an id or a correlation id (with `--saga`). */
async function idOf(ops: SagaOperations, key: string, saga: string | undefined): Promise<string> {
  return (await ops.findInstance(key, saga)).instance.id;
}

export async function sendCommand(ops: SagaOperations, key: string, type: string, o: ActorOptions & { payload: unknown; saga?: string; expectVersion?: number }, io: CliIo): Promise<number> {
  const id = await idOf(ops, key, o.saga);
  const result = await ops.repair.send(id, defined({ type, payload: o.payload, expectedVersion: o.expectVersion }), { principal: cliPrincipal(io, o.as), reason: o.reason });
  if (o.json) io.out(JSON.stringify(result, null, 2));
  else io.out(`sent ${type} to ${id}: ${preview(result.outcome)}; now ${result.instance ? `${result.instance.state} (${result.instance.status})` : 'removed'}`);
  return 0;
}

export async function transitionCommand(ops: SagaOperations, key: string, state: string, o: ActorOptions & { patch?: Record<string, unknown>; saga?: string; expectVersion?: number }, io: CliIo): Promise<number> {
  const id = await idOf(ops, key, o.saga);
  const result = await ops.repair.transition(id, defined({ state, patch: o.patch, expectedVersion: o.expectVersion }), { principal: cliPrincipal(io, o.as), reason: o.reason });
  if (o.json) io.out(JSON.stringify(result, null, 2));
  else io.out(`moved ${id} from ${result.audit?.before?.state} to ${state} (version ${result.instance?.version})`);
  return 0;
}

export async function cancelCommand(ops: SagaOperations, key: string, o: ActorOptions & { saga?: string; expectVersion?: number }, io: CliIo): Promise<number> {
  const id = await idOf(ops, key, o.saga);
  const result = await ops.repair.cancel(id, defined({ expectedVersion: o.expectVersion }), { principal: cliPrincipal(io, o.as), reason: o.reason });
  if (o.json) io.out(JSON.stringify(result, null, 2));
  else io.out(`cancelled ${id}: ${result.steps} compensation step(s) ran; now ${result.instance?.status ?? 'removed'}${result.error ? ` (compensation failed: ${preview(result.error)})` : ''}`);
  return result.error ? 1 : 0;
}

export async function retryCompensationCommand(ops: SagaOperations, key: string, o: ActorOptions & { saga?: string }, io: CliIo): Promise<number> {
  const id = await idOf(ops, key, o.saga);
  const result = await ops.repair.retryCompensation(id, { principal: cliPrincipal(io, o.as), reason: o.reason });
  if (o.json) io.out(JSON.stringify(result, null, 2));
  else io.out(`retried the compensation of ${id}: ${result.steps} step(s) ran; now ${result.instance?.status ?? 'removed'}`);
  return result.error ? 1 : 0;
}

/** Prints a bulk result: the dry run with the command that confirms it, or each item's outcome. */
export function printBulk(result: BulkResult, json: boolean | undefined, io: CliIo): number {
  if (json) {
    io.out(JSON.stringify(result, null, 2));
  } else if (result.dryRun) {
    io.out(`dry run: ${result.count} match${result.count === 1 ? 'es' : ''}${result.sample.length ? ` (${result.sample.join(', ')}${result.count > result.sample.length ? ', ...' : ''})` : ''}`);
    if (result.count > 0) io.out(`to act on exactly these, run again with --yes ${result.count}`);
  } else {
    for (const line of table(['ID', 'OUTCOME'], result.items.map((i) => [i.id, i.ok ? 'ok' : `${i.error?.code}: ${i.error?.message}`]), 100)) io.out(line);
    io.out(`${result.succeeded} of ${result.count} done, ${result.failed} failed`);
  }
  return !result.dryRun && result.failed > 0 ? 1 : 0;
}

export async function auditCommand(ops: SagaOperations, o: { saga?: string; limit?: number; cursor?: string; json?: boolean }, io: CliIo): Promise<number> {
  const page = await ops.repair.auditTrail(defined({ saga: o.saga, limit: o.limit, cursor: o.cursor }));
  if (o.json) {
    io.out(JSON.stringify(page, null, 2));
    return 0;
  }
  if (page.items.length === 0) {
    io.out('no operator actions recorded');
    return 0;
  }
  const now = io.now();
  for (const line of table(['WHEN', 'WHO', 'ACTION', 'SAGA', 'CORRELATION ID', 'CHANGE', 'REASON'], page.items.map((e) => auditRowOf(e, now)), 60)) io.out(line);
  if (page.nextCursor) io.out(`\nmore: add --cursor ${page.nextCursor}`);
  return 0;
}

function auditRowOf(e: AuditEntryView, now: number): string[] {
  const change = e.before && e.after ? `${e.before.state}/${e.before.status} → ${e.after.state}/${e.after.status}` : '-';
  return [age(e.at, now), e.principal, e.action, e.sagaName, e.correlationId, change, e.reason];
}

/**
 * @example
 * registerRepairCommands(program, { io, run, connection });
 */
export function registerRepairCommands(program: Command, deps: RepairCliDeps): void {
  const { io, run, connection } = deps;
  const ops = (command: Command, action: (ops: SagaOperations) => Promise<number>) => run(withOperations(connection(command), io, action));
  const keyed = (command: Command) =>
    command.option('--saga <name>', 'look the key up as a correlation id of this saga').option('--expect-version <n>', 'refuse if the instance is no longer at this version', count);

  acting(keyed(program.command('send <key> <type>').description('deliver an event to one instance (validated by its schema; needs --sagas)')))
    .requiredOption('--payload <json>', "the event's payload, as JSON", jsonArgument('--payload'))
    .action((key: string, type: string, o, command: Command) => ops(command, (x) => sendCommand(x, key, type, o, io)));

  acting(keyed(program.command('transition <key> <state>').description('move one instance to a declared state, optionally patching its data (needs --sagas)')))
    .option('--patch <json>', 'top-level data fields to set, as a JSON object', jsonArgument('--patch'))
    .action((key: string, state: string, o, command: Command) => ops(command, (x) => transitionCommand(x, key, state, o, io)));

  acting(keyed(program.command('cancel <key>').description('compensate one instance now and end it faulted (needs --sagas when it has compensation steps)')))
    .action((key: string, o, command: Command) => ops(command, (x) => cancelCommand(x, key, o, io)));

  acting(program.command('retry-compensation <key>').description('resume a failed compensation from its failed step (needs --sagas)'))
    .option('--saga <name>', 'look the key up as a correlation id of this saga')
    .action((key: string, o, command: Command) => ops(command, (x) => retryCompensationCommand(x, key, o, io)));

  const bulk = program.command('bulk').description('act on every instance or dead letter a filter matches: a dry run without --yes <count>');
  for (const action of ['cancel', 'retry-compensation'] as const) {
    acting(bulk.command(action).description(`${action} every matching instance (needs --sagas)`))
      .option('--saga <name>', 'only this saga')
      .option('--state <state>', 'only instances in this state')
      .addOption(new Option('--status <status>', 'only this status').choices(Object.values(SagaStatus)))
      .option('--correlation-id <id>', 'only this correlation id')
      .option('--prefix <text>', 'only correlation ids that start with this text')
      .option('--where <condition>', "a condition on the data, as in search: 'data.customerId = c-42' (repeatable)", (v: string, p: string[]) => [...p, v], [] as string[])
      .option('--yes <count>', 'act, if the filter still matches exactly this many (the dry run prints it)', count)
      .action((o, command: Command) =>
        ops(command, async (x) => {
          const filter = storeFilter(
            defined({ saga: o.saga, state: o.state, status: o.status ? [o.status] : undefined, correlationId: o.correlationId, correlationIdPrefix: o.prefix, where: o.where.length ? o.where : undefined }),
            x.clock.now(),
          );
          const result = await x.repair.bulk.instances(action, filter, defined({ expectCount: o.yes }), { principal: cliPrincipal(io, o.as), reason: o.reason });
          return printBulk(result, o.json, io);
        }),
      );
  }
  for (const action of ['replay', 'discard'] as const) {
    acting(bulk.command(`${action}-dead-letters`).description(`${action} every matching dead letter`))
      .addOption(new Option('--dead-letter-reason <reason>', 'only letters of this reason').choices(Object.values(DeadLetterReason)))
      .option('--saga <name>', 'only letters a saga refused')
      .option('--type <type>', 'only this message type')
      .option('--yes <count>', 'act, if the filter still matches exactly this many (the dry run prints it)', count)
      .action((o, command: Command) =>
        ops(command, async (x) => {
          const filter = defined({ reason: o.deadLetterReason, sagaName: o.saga, messageType: o.type });
          const result = await x.repair.bulk.deadLetters(action, filter, defined({ expectCount: o.yes }), { principal: cliPrincipal(io, o.as), reason: o.reason });
          return printBulk(result, o.json, io);
        }),
      );
  }

  program
    .command('audit')
    .description("operators' actions across instances, newest first: who, what, why, before and after")
    .option('--saga <name>', 'only this saga')
    .option('--limit <n>', 'page size (1 to 1000)', (v: string) => Math.max(1, Math.min(1000, count(v))), 50)
    .option('--cursor <cursor>', 'the next page, as printed under the previous one')
    .option('--json', 'print JSON ({ items, nextCursor })')
    .action((o, command: Command) => ops(command, (x) => auditCommand(x, o, io)));
}
