/**
 * The "Database outage" section of docs/reliability.md: `runOutageScenario` at full size, rendered.
 * `npm run reliability` runs it with the other scenarios; `-- --outage` runs only it and prints the section.
 */
import { runOutageScenario, type OutageScenarioOptions, type OutageScenarioReport } from '../tests/fault/outage.ts';

export function outageOptions(quick: boolean, log: (line: string) => void): OutageScenarioOptions {
  return { orders: quick ? 90 : 300, streamMs: quick ? 8_000 : 20_000, crashes: quick ? 3 : 5, downMs: [1_000, 3_000], settleTimeoutMs: 60_000, log };
}

export function runOutage(options: OutageScenarioOptions): Promise<OutageScenarioReport> {
  return runOutageScenario(options);
}

export function renderOutage(r: OutageScenarioReport): string {
  const s = (ms: number | null) => (ms === null ? 'never (timed out)' : `${(ms / 1000).toFixed(1)} s`);
  const o = r.verdict.observed;
  const statuses = Object.entries(o.commandsByStatus)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  const clean = r.verdict.problemCount === 0;
  const downs = r.outages.map((x) => `${(x.downMs / 1000).toFixed(1)} s`).join(', ');
  return `## Database outage

One worker process (\`tests/fault/outage-worker.ts\`: a \`WorkerHost\` over an orchestrator with three
command handlers — Reserve → Charge → Ship, no retries, a 6 s run lease — and two compensation steps)
runs ${r.orders} order sagas against a PostgreSQL cluster of the test's own (\`initdb\` into a temporary
folder, fsync on). A third of the orders fail at shipping and compensate (refund, then release).
Handlers and steps record their effects on another server, so they keep succeeding while the saga's
database is down: the case where a handler's outcome has to be written after the outage. While the
orders flow the server is crashed ${r.outages.length} times with \`pg_ctl -m immediate stop\` at random moments
and restarted after ${downs} (crash recovery adds about 2 s each time). The worker is never stopped.

| | |
| --- | --- |
| sagas | ${r.orders}, ${r.finalAtLastRestart} of them final when the last crash ended |
| commands | ${o.commands}: ${statuses}${clean ? '; none abandoned, every one at attempt 1' : ''} |
| handler and step effects | ${o.effects}${clean ? ', each run once, at attempt 1' : ' (see the problems)'} |
| compensation steps | ${o.compensationSteps}, ${o.compensationResumes} runs resumed by \`recover()\` |
| \`/health\` | 503 during ${r.outages.filter((x) => x.reportedNotReady).length} of ${r.outages.length} outages, 200 again by itself after each |
| log lines | \`store unavailable\` ${r.logLines['store unavailable'] ?? 0}, \`store available again\` ${r.logLines['store available again'] ?? 0}, \`failed, left for redelivery\` ${r.logLines['failed, left for redelivery'] ?? 0} |
| worker exits | ${r.workerExits} |
| settled | ${s(r.settledAfterMs)} after the last restart |
| problems (wrong final state, effect that should not exist, transition twice, outbox not drained, stuck instance) | **${r.verdict.problemCount}** |
`;
}
