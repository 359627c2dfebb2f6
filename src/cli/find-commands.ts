/**
 * @module cli/find-commands
 *
 * `sagaflow stuck`, `search`, `throughput`, `dead-letters counts` and `purge`: finding instances that
 * nothing will move, searching by business data with a total count, the figures at a glance, and
 * applying a retention age on demand. Registered on
 * the program by `registerFindCommands`; each command is a function the tests also call directly.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { defined } from '../ops/defined.ts';
import { formatDuration, parseDuration } from '../ops/duration.ts';
import { purge } from '../ops/retention.ts';
import { deadLetterCounts, throughput } from '../ops/console-stats.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import { searchInstances, type SearchPage } from '../ops/search.ts';
import { findStuck, type StuckPolicy, type StuckQuery } from '../ops/stuck.ts';
import { SagaStatus } from '../repository/types.ts';
import { withOperations, type ConnectionOptions } from './connect.ts';
import { age, table } from './format.ts';
import type { CliIo } from './io.ts';

const STATUSES: readonly string[] = Object.values(SagaStatus);

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('expected a duration with a unit, such as 30s, 5m, 1h or 30d');
  return ms;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** `order=2h` or `order.AwaitingPayment=1d` → a stuck policy's per-saga and per-state thresholds. */
export function thresholdsOf(specs: readonly string[]): NonNullable<StuckPolicy['sagas']> {
  const sagas: Record<string, { olderThanMs?: number; states?: Record<string, number> }> = {};
  for (const spec of specs) {
    const m = /^([^=.\s]+)(?:\.([^=\s]+))?=(.+)$/.exec(spec);
    const ms = m ? parseDuration(m[3]!) : undefined;
    if (!m || ms === undefined) throw new InvalidArgumentError(`'${spec}' is not <saga>[.<state>]=<duration>, such as order=2h or order.AwaitingPayment=1d`);
    const rule = (sagas[m[1]!] ??= {});
    if (m[2] === undefined) rule.olderThanMs = ms;
    else (rule.states ??= {})[m[2]] = ms;
  }
  return sagas;
}

/**
 * @example
 * await stuckCommand(ops, { olderThanMs: 3_600_000 }, processIo);
 * @returns the exit code: 0, or 3 with `failIfAny` when something is stuck
 */
export async function stuckCommand(ops: SagaOperations, options: StuckQuery & { readonly json?: boolean; readonly failIfAny?: boolean }, io: CliIo): Promise<number> {
  const { json, failIfAny, ...query } = options;
  const report = await findStuck(ops, query);
  const code = failIfAny && report.total > 0 ? 3 : 0;
  if (json) {
    io.out(JSON.stringify(report, null, 2));
    return code;
  }
  if (report.total === 0) {
    io.out('nothing is stuck');
    return code;
  }
  for (const line of table(['SAGA', 'KIND', 'COUNT'], report.counts.map((c) => [c.sagaName, c.kind, String(c.count)]))) io.out(line);
  io.out('');
  const now = io.now();
  const rows = report.items.map((i) => [i.sagaName, i.correlationId, i.state, i.kind, age(i.updatedAt, now), i.thresholdMs ? formatDuration(i.thresholdMs) : '-', i.error?.code ?? '', i.id]);
  for (const line of table(['SAGA', 'CORRELATION ID', 'STATE', 'KIND', 'UPDATED', 'THRESHOLD', 'ERROR', 'ID'], rows)) io.out(line);
  if (report.items.length < report.total) io.out(`\n${report.total} stuck in all; the ${report.items.length} that changed longest ago are shown (--limit)`);
  return code;
}

/** @returns the exit code */
export async function searchCommand(ops: SagaOperations, options: SearchPage & { readonly json?: boolean }, io: CliIo): Promise<number> {
  const { json, ...search } = options;
  const result = await searchInstances(ops, search);
  if (json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  io.out(`${result.total} instance${result.total === 1 ? '' : 's'} match`);
  if (result.items.length === 0) return 0;
  const now = io.now();
  const rows = result.items.map((i) => [i.sagaName, i.correlationId, i.state, i.status, `v${i.definitionVersion}`, age(i.updatedAt, now), age(i.createdAt, now), i.id]);
  for (const line of table(['SAGA', 'CORRELATION ID', 'STATE', 'STATUS', 'DEFINITION', 'UPDATED', 'CREATED', 'ID'], rows)) io.out(line);
  if (result.nextCursor) io.out(`\nmore: add --cursor ${result.nextCursor}`);
  return 0;
}

/** @returns the exit code */
export async function purgeCommand(
  ops: SagaOperations,
  options: { readonly olderThanMs: number; readonly saga?: string; readonly dryRun?: boolean; readonly batch?: number; readonly json?: boolean },
  io: CliIo,
): Promise<number> {
  const policy = options.saga === undefined ? { olderThanMs: options.olderThanMs } : { sagas: { [options.saga]: options.olderThanMs } };
  const report = await purge({ repository: ops.repository, clock: ops.clock, dryRun: options.dryRun === true, policy: { ...policy, ...(options.batch !== undefined && { batchSize: options.batch }) } });
  if (options.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  const scope = options.saga === undefined ? 'all sagas' : `saga '${options.saga}'`;
  const rule = report.rules[0];
  if (report.dryRun) io.out(`would remove ${report.instances} finished instance${report.instances === 1 ? '' : 's'} of ${scope} finished more than ${formatDuration(options.olderThanMs)} ago (dry run: nothing removed)`);
  else io.out(`removed ${report.instances} finished instance${report.instances === 1 ? '' : 's'} of ${scope} and ${rule?.history ?? 0} history rows, in ${report.batches} batch${report.batches === 1 ? '' : 'es'}`);
  return 0;
}

/** `sagaflow dead-letters counts`: one grouped count, by reason, type and saga. @returns the exit code */
export async function deadLetterCountsCommand(ops: SagaOperations, options: { readonly json?: boolean }, io: CliIo): Promise<number> {
  const counts = await deadLetterCounts(ops);
  if (options.json) io.out(JSON.stringify(counts, null, 2));
  else if (counts.total === 0) io.out('no dead letters');
  else for (const line of table(['REASON', 'TYPE', 'SAGA', 'COUNT'], counts.groups.map((g) => [g.reason, g.type ?? '-', g.saga ?? '-', String(g.count)]))) io.out(line);
  return 0;
}

/** `sagaflow throughput`: per saga over the last window. @returns the exit code */
export async function throughputCommand(ops: SagaOperations, options: { readonly windowMs?: number; readonly json?: boolean }, io: CliIo): Promise<number> {
  const report = await throughput(ops, options.windowMs);
  if (options.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  io.out(`since ${report.since}`);
  const rows = report.sagas.map((s) => [s.sagaName, String(s.applied), String(s.compensated), String(s.compensationFailed), String(s.deadLettered)]);
  for (const line of table(['SAGA', 'APPLIED', 'COMPENSATED', 'COMPENSATION FAILED', 'DEAD-LETTERED'], rows)) io.out(line);
  return 0;
}

/** What the program hands over: how to run an action and where the connection options come from. */
export interface FindCommandContext {
  readonly io: CliIo;
  readonly run: (promise: Promise<number>) => Promise<void>;
  readonly connection: (command: Command) => ConnectionOptions;
}

/** Adds `stuck`, `search`, `throughput`, `dead-letters counts` and `purge` to the program. */
export function registerFindCommands(program: Command, { io, run, connection }: FindCommandContext): void {
  program
    .command('stuck')
    .description('instances nothing will move: idle with nothing pending, compensation failed, compensation lease run out')
    .option('--saga <name>', 'only this saga')
    .option('--older-than <duration>', 'an idle instance is stuck after this long without a change (default 1h)', duration)
    .option('--threshold <saga[.state]=duration>', 'a threshold for one saga or one state of it (repeatable)', collect, [])
    .option('--lease <duration>', 'a compensation with no step for this long lost its runner (default 30s)', duration)
    .option('--limit <n>', 'instances listed, oldest change first (the counts are complete)', positiveInt, 50)
    .option('--fail-if-any', 'exit with code 3 when anything is stuck (for cron jobs and checks)')
    .option('--json', 'print JSON ({ total, counts, items })')
    .action((o, command: Command) => {
      const sagas = thresholdsOf(o.threshold);
      const query = defined({ saga: o.saga, olderThanMs: o.olderThan, compensationLeaseMs: o.lease, limit: Math.min(o.limit, 1000), sagas: Object.keys(sagas).length ? sagas : undefined });
      return run(withOperations(connection(command), io, (ops) => stuckCommand(ops, { ...query, json: o.json === true, failIfAny: o.failIfAny === true }, io)));
    });

  program
    .command('search')
    .description('instances by business data and more, with the total that match')
    .option('--saga <name>', 'only this saga')
    .option('--state <state>', 'only this state')
    .option('--status <list>', `comma-separated statuses (${STATUSES.join(', ')})`)
    .option('--where <condition>', "a condition on the data, such as 'data.customerId = c-42' or 'data.total > 100' (repeatable)", collect, [])
    .option('--prefix <text>', 'correlation ids starting with this')
    .option('--def-version <n>', 'only instances last written by this definition version', positiveInt)
    .option('--created-after <iso>', 'created at or after this time')
    .option('--created-before <iso>', 'created before this time')
    .option('--updated-after <iso>', 'updated at or after this time')
    .option('--updated-before <iso>', 'updated before this time')
    .option('--limit <n>', 'page size (at most 1000)', positiveInt, 50)
    .option('--cursor <cursor>', 'the next page, as printed under the previous one')
    .option('--json', 'print JSON ({ items, nextCursor, total })')
    .action((o, command: Command) => {
      const status = o.status === undefined ? undefined : String(o.status).split(',').map((s: string) => s.trim()).filter(Boolean);
      const wrong = status?.filter((s) => !STATUSES.includes(s)) ?? [];
      if (wrong.length) command.error(`error: unknown status ${wrong.join(', ')}; one of ${STATUSES.join(', ')}`, { exitCode: 2 });
      const search = defined({
        saga: o.saga,
        state: o.state,
        status: status as SagaStatus[] | undefined,
        where: o.where.length ? o.where : undefined,
        correlationIdPrefix: o.prefix,
        definitionVersion: o.defVersion,
        createdAfter: o.createdAfter,
        createdBefore: o.createdBefore,
        updatedAfter: o.updatedAfter,
        updatedBefore: o.updatedBefore,
        limit: Math.min(o.limit, 1000),
        cursor: o.cursor,
      });
      return run(withOperations(connection(command), io, (ops) => searchCommand(ops, { ...search, json: o.json === true }, io)));
    });

  program
    .command('throughput')
    .description('per saga over the last hour (or --window): events applied, instances compensated, failures')
    .option('--window <duration>', 'how far back (1s to 7d; default 1h)', (v: string) => {
      const ms = duration(v);
      if (ms < 1000 || ms > 7 * 86_400_000) throw new InvalidArgumentError('expected a window from 1s to 7d');
      return ms;
    })
    .option('--json', 'print JSON ({ since, windowMs, sagas })')
    .action((o, command: Command) => run(withOperations(connection(command), io, (ops) => throughputCommand(ops, defined({ windowMs: o.window, json: o.json === true }), io))));

  // Beside `dead-letters list|show|replay|discard`, which the program defines before calling this.
  program.commands
    .find((c) => c.name() === 'dead-letters')
    ?.command('counts')
    .description('dead letters counted by reason, message type and saga (one count query)')
    .option('--json', 'print JSON ({ total, byReason, byType, groups })')
    .action((o, command: Command) => run(withOperations(connection(command), io, (ops) => deadLetterCountsCommand(ops, { json: o.json === true }, io))));

  program
    .command('purge')
    .description('remove finished (completed, faulted) instances and their history once older than an age')
    .requiredOption('--older-than <duration>', 'finished longer ago than this (30d, 12h)', duration)
    .option('--saga <name>', 'only this saga')
    .option('--dry-run', 'count what would be removed, remove nothing')
    .option('--batch <n>', 'instances per batch (one statement each; at most 10000)', positiveInt, 500)
    .option('--json', 'print JSON ({ dryRun, rules, instances, batches })')
    .action((o, command: Command) =>
      run(
        withOperations(connection(command), io, (ops) =>
          purgeCommand(ops, defined({ olderThanMs: o.olderThan, saga: o.saga, dryRun: o.dryRun === true, batch: o.batch, json: o.json === true }), io),
        ),
      ),
    );
}
