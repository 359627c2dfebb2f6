/**
 * `npm run bench` — fixed workloads, printed as a table, or with `--json` as one JSON object per line.
 *
 *   npm run bench                 # everything available
 *   npm run bench -- --only memory
 *   npm run bench -- --only postgres   # PostgreSQL (SAGAFLOW_BENCH_PG_URL / DATABASE_URL) and PGlite
 *   npm run bench -- --only cluster    # 1, 2, 4 worker processes (examples/cluster) through RabbitMQ
 *   npm run bench -- --only hot        # 4 processes sending events for ONE instance, on PostgreSQL
 *   npm run bench -- --only realistic  # production-shaped: cold instances vs pgbench -N, open loop, scale (~7 min)
 *   npm run bench -- --only realistic --quick   # the same, fewer and shorter rounds (~3 min)
 *   npm run bench -- --only transports # events/s with 1 and 2 workers through RabbitMQ, Redis Streams, NATS JetStream
 *   npm run bench -- --json
 *
 * The cluster section is in the full run: about 50 s on a quiet 2-core machine (5,000 orders at each of
 * 1, 2 and 4 workers, plus their start-up); it skips itself without PostgreSQL or RabbitMQ.
 */
import { benchInMemoryOrchestrator, benchXStateTransition } from './in-memory.ts';
import { runClusterBench } from './cluster.ts';
import { runHotInstanceBench } from './hot-instance.ts';
import { runTransportsBench } from './transports.ts';
import { runPostgresBench } from './postgres.ts';
import { realisticOptions, runRealisticBench } from './realistic.ts';
import { benchScheduleLagInMemory } from './schedules.ts';
import type { BenchResult } from './report.ts';
import { dropLeftovers } from './fresh-database.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

function report(r: BenchResult): void {
  if (json) {
    console.log(JSON.stringify(r));
    return;
  }
  const latency = r.p50_ms !== undefined ? `  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms` : '';
  const pgbench = r.vs_pgbench !== undefined ? `  ${String(r.vs_pgbench)}x pgbench -N` : '';
  const lag =
    r.target_rate !== undefined
      ? `  (open loop: target ${String(r.target_rate)}/s, p90 ${String(r.p90_ms)}, p99.9 ${String(r.p999_ms)}, max ${String(r.max_ms)} ms, kept up: ${r.kept_up ? 'yes' : 'NO'})`
      : r.achieved_rate !== undefined
        ? `  (started at ${String(r.achieved_rate)}/s, max ${String(r.max_ms)} ms)`
        : '';
  const ratio = r.vs_raw !== undefined ? `  ${r.vs_raw}x raw` : '';
  const cpu = typeof r.cpu === 'string' ? `\n${''.padEnd(66)}CPU: ${r.cpu}` : '';
  const cost =
    r.statements_per_event !== undefined
      ? `\n${''.padEnd(66)}per event: ${String(r.statements_per_event)} statements, CPU ${String(r.pg_cpu_us_per_event)} µs PostgreSQL + ${String(r.node_cpu_us_per_event)} µs Node.js, ${String(r.wal_bytes_per_event)} B WAL`
      : r.client_cpu_us_per_event !== undefined
        ? `\n${''.padEnd(66)}per transaction: CPU ${String(r.pg_cpu_us_per_event)} µs PostgreSQL + ${String(r.client_cpu_us_per_event)} µs pgbench`
        : '';
  const heap =
    r.bytes_per_instance !== undefined
      ? `\n${''.padEnd(66)}heap: ${String(r.bytes_per_instance)} B per instance (${String(r.bytes_per_instance_beyond_data)} beyond its data), GC ${Math.round(Number(r.gc_share) * 100)} % of the time`
      : '';
  console.log(`${r.name.padEnd(64)} ${String(r.ops_per_sec).padStart(9)} ops/s  (${r.ops} ops in ${r.seconds}s)${latency}${ratio}${pgbench}${lag}${cpu}${cost}${heap}`);
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
  if (!only || only === 'hot') {
    await runHotInstanceBench(report, (line) => {
      if (!json) console.log(line);
    });
  }
  if (only === 'realistic') {
    // Not in the default run: several minutes, and it needs the machine to itself.
    await runRealisticBench(report, (line) => {
      if (!json) console.log(line);
    }, realisticOptions(args));
  }
  if (!only || only === 'transports') {
    await runTransportsBench(report, (line) => {
      if (!json) console.log(line);
    });
  }
  if (!only || only === 'cluster') {
    await runClusterBench(report, (line) => {
      if (!json) console.log(line);
    });
  }
}

// Interrupted (Ctrl-C): the databases a run made are dropped all the same. A terminal (or tsx) may
// deliver the signal twice: the handler stays, so a second one does not cut the drops short.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    void dropLeftovers().finally(() => process.exit(130));
  });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
