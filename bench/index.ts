/**
 * `npm run bench` — fixed workloads, printed as a table, or with `--json` as one JSON object per line.
 *
 *   npm run bench                 # everything available
 *   npm run bench -- --only memory
 *   npm run bench -- --only postgres   # PostgreSQL (SAGAFLOW_BENCH_PG_URL / DATABASE_URL) and PGlite
 *   npm run bench -- --json
 */
import { benchInMemoryOrchestrator, benchXStateTransition } from './in-memory.ts';
import { runPostgresBench } from './postgres.ts';
import { benchScheduleLagInMemory } from './schedules.ts';
import type { BenchResult } from './report.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

function report(r: BenchResult): void {
  if (json) {
    console.log(JSON.stringify(r));
    return;
  }
  const latency = r.p50_ms !== undefined ? `  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms` : '';
  const lag = r.achieved_rate !== undefined ? `  (started at ${String(r.achieved_rate)}/s, max ${String(r.max_ms)} ms)` : '';
  const ratio = r.vs_raw !== undefined ? `  ${r.vs_raw}x raw` : '';
  console.log(`${r.name.padEnd(64)} ${String(r.ops_per_sec).padStart(9)} ops/s  (${r.ops} ops in ${r.seconds}s)${latency}${ratio}${lag}`);
}

async function main(): Promise<void> {
  if (!only || only === 'memory') {
    if (!json) console.log('# In memory (one Node.js process, one core)');
    report(benchXStateTransition(25_000));
    report(await benchInMemoryOrchestrator(25_000, 1));
    report(await benchInMemoryOrchestrator(25_000, 64));
    report(await benchInMemoryOrchestrator(25_000, 1, true));
    report(await benchScheduleLagInMemory());
  }
  if (!only || only === 'postgres') {
    await runPostgresBench(report, (line) => {
      if (!json) console.log(line);
    });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
