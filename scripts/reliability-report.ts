/**
 * `npm run reliability`: runs the fault-injection scenarios of `tests/fault` at full size against the
 * PostgreSQL at `SAGAFLOW_TEST_PG_URL` (default postgres@127.0.0.1:5432) and rewrites
 * `docs/reliability.md` with what they measured. Every figure in that file comes from this run.
 *
 * `-- --quick` runs them small (about a minute) and prints the document instead of writing it.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runConcurrentDelivery, type ConcurrentDeliveryReport } from '../tests/fault/concurrent-delivery.ts';
import { runFaultScenario, type FaultScenarioOptions, type FaultScenarioReport } from '../tests/fault/driver.ts';
import { runTerminateScenario, type TerminateScenarioOptions, type TerminateScenarioReport } from '../tests/fault/terminate-backends.ts';
import type { Losses } from '../tests/fault/check.ts';
import { MALFORMED_INPUT_TOTAL } from '../tests/fuzz/figures.ts';
import { withAdmin } from '../tests/helpers/postgres.ts';
import type { OutageScenarioReport } from '../tests/fault/outage.ts';
import { outageOptions, renderOutage, runOutage } from './reliability-outage.ts';

const quick = process.argv.includes('--quick');
/** `-- --outage`: only the database-outage scenario, printed. */
const outageOnly = process.argv.includes('--outage');
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);

const killOptions: FaultScenarioOptions = {
  orders: quick ? 100 : 500,
  workers: 3,
  streamMs: quick ? 8_000 : 30_000,
  chaosMs: quick ? 12_000 : 40_000,
  killEveryMs: [500, 1_500],
  killOdds: { 'after-commit': 0.01, 'compensation-after-effect': 0.05, 'handler-after-effect': 0.01 },
  duplicates: quick ? 12 : 60,
  malformedEach: quick ? 2 : 5,
  settleTimeoutMs: 120_000,
  log,
};
const terminateOptions: TerminateScenarioOptions = {
  orders: quick ? 100 : 300,
  streamMs: quick ? 3_000 : 6_000,
  terminations: quick ? 10 : 24,
  everyMs: 250,
  duplicates: quick ? 10 : 30,
  settleTimeoutMs: 60_000,
  // This process never crashes: nothing may be left for a recover() to resume.
  recoverEveryMs: 0,
  log,
};

// --- The document ---------------------------------------------------------------------------------
interface Runs {
  kill: FaultScenarioReport;
  concurrent: ConcurrentDeliveryReport;
  terminate: TerminateScenarioReport;
  outage: OutageScenarioReport;
  server: string;
  totalMs: number;
}

function render(r: Runs): string {
  const { kill, concurrent, terminate } = r;
  const o = kill.verdict.observed;
  const n = (x: number) => x.toLocaleString('en-US');
  const s = (ms: number | null) => (ms === null ? 'never (timed out)' : `${(ms / 1000).toFixed(1)} s`);
  const list = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const kills = Object.values(kill.kills.byPoint).reduce((a, b) => a + b, 0) + kill.kills.random;
  const lossRows = (lost: Losses) =>
    (Object.entries(lost) as Array<[keyof Losses, number]>).map(([k, v]) => `| ${LOSS_LABELS[k]} | ${v} |`).join('\n');
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';

  return `# Reliability

What the fault-injection suite (\`tests/fault\`) measured: worker processes SIGKILLed at random and at
the worst moments, one message delivered sixteen times at once, PostgreSQL terminating every connection
mid-run, and PostgreSQL crashing under a worker. Real processes, a real PostgreSQL, no mocks; every check is SQL against the tables themselves.

Every figure below was written by \`npm run reliability\` (${runDate()}, ${availableParallelism()} cores (${cpu}),
PostgreSQL ${r.server} on the same machine, ${(r.totalMs / 60_000).toFixed(1)} minutes). Rerun it to refresh this file
(\`SAGAFLOW_TEST_PG_URL\` names another server; \`-- --quick\` prints a smaller run instead of writing);
\`npx vitest run tests/fault\` runs the same scenarios small (about 30 s) as part of \`npm test\`.

## Workers killed

${kill.options.workers} worker processes (\`tests/fault/worker.ts\`, each a \`SagaOrchestrator\` on \`createPrismaRepository\` with
an outbox lease and relay lease of ${kill.options.leaseMs ?? 1_500} ms, a relay polling every 75 ms, and \`recover()\` at start and every
2 s) run a stream of order sagas: submitted → payment → stock → shipping, where a quarter fail at stock
(one compensation step: refund) and a quarter at shipping (two: release, then refund). Every step is a
command to a simulated service in the worker, which records its effect in \`fault_effects\` (unique per
kind and order; a second run bumps \`attempts\`) and stages its reply with \`stageOutbox\`, ids derived
from the command's. Compensation steps record their effect and send a notice. Replies reach the sagas
through whichever worker's relay polls first, so consecutive steps of one saga run in different workers.

For ${s(kill.options.chaosMs)} a driver SIGKILLs a random worker every ${kill.options.killEveryMs[0]}–${kill.options.killEveryMs[1]} ms and restarts it
100 ms later; meanwhile the workers kill themselves at three kill points. Then it waits until every saga
is final and the outbox is empty, and checks.

| | |
| --- | --- |
| sagas | ${n(kill.orders.total)} (${kill.orders.byPlan.complete} complete, ${kill.orders.byPlan['fail-stock']} fail at stock, ${kill.orders.byPlan['fail-shipping']} fail at shipping), ${n(kill.orders.finalAtChaosEnd)} of them final before the kills stopped |
| events applied | ${n(o.eventsApplied)}, plus ${n(o.compensationSteps)} compensation steps (${n(o.historyRows)} history rows in all) |
| service effects | ${n(o.effects)} recorded once each |
| kills | ${n(kills)}: ${kill.kills.random} random SIGKILLs (${kill.kills.randomDuringStartUp} of them while the worker was starting), and at kill points: ${kill.kills.byPoint['after-commit']} after a commit that staged messages, before their delivery; ${kill.kills.byPoint['compensation-after-effect']} inside a compensation step, after its effect, before the pop; ${kill.kills.byPoint['handler-after-effect']} inside a service, after its effect, before its reply |
| restarts | ${kill.kills.restarts} (median ${s(kill.workerStats.startUpMs)} from spawn to ready); ${kill.kills.crashes} exits that were not a kill |
| duplicates injected | ${kill.duplicates.injected} \`OrderSubmitted\` staged a second time under another outbox id (${kill.duplicates.atOnce} due with the original, ${kill.duplicates.late} 2–5 s later) |
| malformed inputs tried | ${kill.malformed.tried}: ${kill.malformed.throughWorkers} through the outbox and the workers (schema failures, oversized payloads, wrong envelope fields, events for orders that do not exist), ${kill.malformed.throughReceive} handed to \`receive()\` as a transport would (not JSON, not an object, no message id, unknown type, NUL characters, oversized) |
| malformed inputs, fuzz suite | ${n(MALFORMED_INPUT_TOTAL)} generated inputs per run of \`tests/fuzz/malformed-input.test.ts\` (fixed seed; in-memory store) |
| redeliveries observed | ${o.effectsRunAgain} effects whose service or step ran more than once, ${o.extraEffectRuns} extra runs in all (${list(o.extraRunsByKind)}) |
| compensations resumed | ${o.compensationResumes} runs taken over by another runner (${kill.workerStats.recoveredAtStart} by a worker's start-up \`recover()\`) |
| dead letters | ${o.deadLetters} (${list(o.deadLettersByReason)}); ${o.deadLettersStoredTwice} malformed messages stored twice |
| settled | ${s(kill.settledAfterMs)} after the kills stopped |

What was lost or applied twice, counted by \`tests/fault/check.ts\`:

| | |
| --- | --- |
${lossRows(kill.verdict.lost)}
| **total** | **${kill.lostTotal}** |

## One message, sixteen deliveries at once

Two orchestrators on separate repositories (separate pools, as two processes) receive the same envelope
${concurrent.deliveries} times at once, ${concurrent.rounds} rounds of two messages: the \`OrderSubmitted\` that creates the instance (the
insert race) and the \`PaymentCharged\` that moves it (the update race). The transport is down, so what the
commits staged stays in the outbox to be counted.

| | |
| --- | --- |
| deliveries | ${n(concurrent.rounds * 2 * concurrent.deliveries)} |
| applied | ${concurrent.applied} (one per message) |
| answered \`duplicate\` | ${n(concurrent.duplicates)} |
| anything else | ${concurrent.other} |
| history rows per message | ${unique(concurrent.historyRowsPerMessage)} |
| outbox rows per message's command | ${unique(concurrent.outboxRowsPerCommand)} |
| problems | ${concurrent.problems.length} |

## Connections terminated

One worker (in the driver's process) runs ${terminate.orders} orders while another connection runs
\`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()\`
${terminate.rounds} times, every 250 ms: the repository's pool, the relay's claims and the services' own pool all lose
their connections at whatever moment that lands.

| | |
| --- | --- |
| backends terminated | ${terminate.backendsTerminated} |
| failures reported to \`onError\` and left for redelivery | ${terminate.errorsReported} |
| effects run more than once | ${terminate.verdict.observed.effectsRunAgain} |
| periodic \`recover()\` | off: this process never crashes, so nothing may be left for it |
| settled | ${s(terminate.settledAfterMs)} after the last termination |
| lost or applied twice | **${terminate.lostTotal}** |

${renderOutage(r.outage)}
## What holds, and why

- **No message is lost.** Outgoing messages are outbox rows written in the same statement as the
  instance; a worker that dies before delivering them leaves them for any relay once the lease runs out.
  A service's reply is staged in the outbox too, so a service that dies after its effect but before the
  reply is redelivered the command and stages the reply then.
- **No transition is applied twice.** The history is the inbox: a write whose message id the instance
  already holds does not apply (\`DuplicateMessageError\`, outcome \`duplicate\`), whether the copy comes
  from a relay after a lease ran out, a duplicate staged on purpose, or sixteen concurrent deliveries.
- **Every compensation step runs, last registered first, and is popped once.** The first step is
  claimed in the write that asked for compensation, and each pop claims the next; a worker that dies
  mid-step leaves the instance \`compensating\`, and \`recover()\` resumes it at that step.
- **Effects are exactly once only where the service makes them so.** Delivery is at least once: the
  figures above show services and compensation steps running again after kills. The effects table's
  unique constraint is what turns that into one effect; a real service needs the same (an idempotency
  key, a conditional write).
- **History agrees with versions**: every instance's history is exactly sequences 1..version.
- **Malformed input never stops processing**: each becomes a dead letter with its reason. A worker killed
  between storing a dead letter and marking the message sent stores it again on redelivery (counted
  above as "stored twice"); dead letters are not deduplicated by message id.

## Bugs this suite found

All are fixed and kept as deterministic cases (\`tests/fault/regressions.test.ts\`,
\`tests/fault/recover-lease.test.ts\`, \`tests/runtime/reliability/dead-letters.test.ts\`); the scenarios above
run with the defaults that exposed them.

1. **A stale instance cache refused events.** With the repository's instance cache (on by default in
   \`createPrismaRepository\`), a worker whose cached copy of an instance was older than the stored row
   decided on the old state. When that state did not handle the event, nothing was written, so no
   version check caught the staleness: the event failed with \`UnhandledEventError\`, \`receive()\`
   dead-lettered it as \`rejected\`, and the saga stopped there. The first run of the kill scenario, with
   two workers and no kills at all, left 11 of 20 sagas stuck that way. Now a decision to write nothing
   is taken again on a fresh read.
2. **A transient store failure while popping a compensation step abandoned the run.** The error escaped
   the compensation run, the orchestrator retried the event, found it applied and answered
   \`duplicate\`; the instance stayed \`compensating\` in a live process until something called
   \`recover()\` (1–2 of 150 sagas per run with connections terminated every 250 ms). Now the same write
   is sent again and the inbox tells whether it had applied; the terminated-connections scenario runs
   with no periodic \`recover()\` to show it.
3. **\`recover()\` took over compensations that were running.** It claimed every \`compensating\`
   instance, however recently its step was claimed, so a process starting up while another was in the
   middle of a step ran that step a second time, concurrently. Runs now hold a lease
   (\`compensationLeaseMs\`, renewed by every step's write); \`recover()\` takes over only runs idle for
   longer. The workers here use a 1.5 s lease.
4. **A malformed envelope's dead letter lost its id and type.** It now keeps the \`messageId\`,
   \`type\` and \`correlationId\` the input carried as strings, so \`listDeadLetters({ messageType })\`
   finds it.

## Known limits

- **Dead letters are stored per delivery, not per message.** A malformed message redelivered after a
  kill (stored, then the worker died before marking it sent) is stored again under a new id ("stored
  twice" above). Replaying either is harmless (the inbox), and discarding both is an operator's job.

## How the suite is built

| file | what |
| --- | --- |
| \`tests/fault/fault-saga.ts\` | the order saga, its services and compensation steps, derived reply ids |
| \`tests/fault/effects.ts\` | \`fault_effects\`: one row per (kind, order), \`attempts\` counting runs |
| \`tests/fault/chaos.ts\` | kill points, and the repository wrapper that dies between commit and delivery |
| \`tests/fault/fault-worker.ts\`, \`worker.ts\` | a worker, and the process the driver spawns |
| \`tests/fault/driver.ts\` | \`runFaultScenario\`: database, stream, duplicates, malformed input, kills, restarts, wait, check |
| \`tests/fault/concurrent-delivery.ts\` | \`runConcurrentDelivery\`: one message, N deliveries, two orchestrators |
| \`tests/fault/terminate-backends.ts\` | \`runTerminateScenario\`: \`pg_terminate_backend\` under load |
| \`tests/fault/outage.ts\`, \`outage-worker.ts\`, \`outage-saga.ts\`, \`outage-check.ts\` | \`runOutageScenario\`: its own cluster (\`tests/helpers/own-cluster.ts\`) crashed under a worker |
| \`tests/fault/check.ts\` | the SQL checks and what counts as lost |
| \`tests/fault/regressions.test.ts\`, \`recover-lease.test.ts\` | the bugs above, reduced to deterministic cases |
| \`scripts/reliability-report.ts\` | runs them full size and writes this file |
`;
}

const LOSS_LABELS: Record<keyof Losses, string> = {
  sagasMissing: 'sagas never created',
  sagasNotFinal: 'sagas not in a final state',
  wrongOutcomes: 'sagas or effects with the wrong outcome (state, order of steps, dead-letter reason)',
  historyGaps: 'instances whose history is not exactly 1..version',
  appliedTwice: 'messages or compensation steps applied twice',
  compensationsMissing: 'compensation steps that never ran',
  effectsMissing: 'service effects never recorded (a command lost)',
  unexpectedEffects: 'effects that should not exist',
  unexpectedInstances: 'instances that should not exist',
  messagesLeftInOutbox: 'messages never delivered (left in the outbox)',
  deadLettersMissing: 'malformed inputs not dead-lettered',
};

function runDate(): string {
  return new Date().toISOString().slice(0, 10);
}

function unique(values: readonly number[]): string {
  const set = [...new Set(values)];
  return set.length === 1 ? `${set[0]} (every one)` : values.join(', ');
}

async function main(): Promise<void> {
  if (outageOnly) {
    const report = await runOutage(outageOptions(quick, log));
    console.log(renderOutage(report));
    if (report.verdict.problemCount > 0) process.exitCode = 1;
    return;
  }
  log('1/4 workers killed at random and at kill points');
  const kill = await runFaultScenario(killOptions);
  log('2/4 one message delivered 16 times at once');
  const concurrent = await runConcurrentDelivery({ rounds: quick ? 5 : 20, deliveries: 16 });
  log('3/4 every connection terminated, again and again');
  const terminate = await runTerminateScenario(terminateOptions);
  log('4/4 the database crashed, again and again');
  const outage = await runOutage(outageOptions(quick, log));
  const server = await withAdmin(async (c) => (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]!.v);
  const doc = render({ kill, concurrent, terminate, outage, server, totalMs: Date.now() - started });
  if (quick) {
    console.log(doc);
  } else {
    const path = fileURLToPath(new URL('../docs/reliability.md', import.meta.url));
    writeFileSync(path, doc);
    log(`wrote ${path}`);
  }
  const lost = kill.lostTotal + terminate.lostTotal + concurrent.problems.length + outage.verdict.problemCount;
  if (lost > 0) {
    console.error(`LOST OR REPEATED: ${lost}`);
    process.exitCode = 1;
  }
}

await main();
