/**
 * @module bench/realistic
 *
 * `npm run bench -- --only realistic`: workloads shaped like production, each next to its baseline
 * measured in the same run (docs/persistence.md, "How each figure is measured"):
 *
 * - `pgbench -N 16` and `postgres cold 16`, interleaved round by round (1e5 live account instances,
 *   events to existing ones chosen uniformly at random, default repository options), then
 *   `postgres default 16` (the order saga of `--only postgres`) in the same rounds; medians and ratios;
 * - `postgres open-loop`: the cold workload at a fixed rate of half the cold median, p50/p90/p99, and
 *   `pgbench -N open-loop` at the same rate (`pgbench -R`, latency counted from when each was due);
 * - `memory open-loop`: the same on the in-memory repository, at half of its own peak;
 * - `memory scale 1e3` / `memory scale 1e6` and `memory scale`: events/s with 1e3 and 1e6 live
 *   instances, bytes per instance measured from the heap after a full GC;
 * - the hot instance (`--only hot`).
 *
 * Every database it creates is dropped at the end. Options: `--rounds N` (default 5), `--seconds S`
 * per measured round (default 10), `--open-seconds S` (default 20), `--quick` (3 rounds of 5 s, 10 s
 * open loops, 1e5 instead of 1e6 for the large scale).
 */
import { benchOrchestrator, benchSchema, BENCH_PG_URL, reachable } from './postgres.ts';
import { prefillAccounts } from './cold-workload.ts';
import { freshDatabase } from './fresh-database.ts';
import { runHotInstanceBench } from './hot-instance.ts';
import { memoryWorkload } from './memory-realistic.ts';
import { pgbenchInit, pgbenchInstalled, pgbenchN, pgbenchOpenLoop, type PgbenchResult } from './pgbench.ts';
import { benchCold, checkpoint, openLoopCold } from './postgres-cold.ts';
import type { BenchResult } from './report.ts';

export interface RealisticOptions {
  readonly rounds: number;
  readonly seconds: number;
  readonly openSeconds: number;
  /** Live instances of the large in-memory scale. */
  readonly largeScale: number;
}

export function realisticOptions(args: readonly string[]): RealisticOptions {
  const quick = args.includes('--quick');
  const value = (flag: string, fallback: number) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback);
  return {
    rounds: value('--rounds', quick ? 3 : 5),
    seconds: value('--seconds', quick ? 5 : 10),
    openSeconds: value('--open-seconds', quick ? 10 : 20),
    largeScale: quick ? 100_000 : 1_000_000,
  };
}

const ACCOUNTS = 100_000;
const PUBLISHERS = 16;

export async function runRealisticBench(report: (r: BenchResult) => void, note: (line: string) => void, options: RealisticOptions): Promise<void> {
  if (await reachable(BENCH_PG_URL)) await postgresPart(report, note, options);
  else note('# realistic PostgreSQL workloads: skipped, no server answers (set SAGAFLOW_BENCH_PG_URL)');
  await memoryPart(report, note, options);
  await runHotInstanceBench(report, note);
}

async function postgresPart(report: (r: BenchResult) => void, note: (line: string) => void, options: RealisticOptions): Promise<void> {
  note(`# Realistic, PostgreSQL: ${ACCOUNTS.toLocaleString('en')} live instances, events to existing ones at random, ${PUBLISHERS} publishers`);
  const cold = await freshDatabase(BENCH_PG_URL, 'sagaflow_cold');
  const withPgbench = await pgbenchInstalled();
  const pgb = withPgbench ? await freshDatabase(BENCH_PG_URL, 'sagaflow_pgbench', { migrate: false }) : undefined;
  try {
    await prefillAccounts(cold.url, ACCOUNTS);
    const orders = await benchSchema(cold.url);
    try {
      if (pgb) await pgbenchInit(pgb.url, 10);
      else note('# pgbench is not installed: no pgbench -N baseline');
      // Unmeasured: JIT and prepared statements of both workloads.
      await benchCold(cold.url, PUBLISHERS, { accounts: ACCOUNTS, seconds: 2, seed: 99 });
      await benchOrchestrator(cold.url, orders.schema, { publishers: PUBLISHERS, orders: 800 });
      const rounds: { pgbench?: PgbenchResult; cold: BenchResult; orders: BenchResult }[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        let baseline: PgbenchResult | undefined;
        if (pgb) {
          await checkpoint(pgb.url);
          baseline = await pgbenchN(pgb.url, PUBLISHERS, options.seconds);
          report({
            name: `pgbench -N ${PUBLISHERS}, round ${round}`,
            ops: baseline.transactions,
            seconds: baseline.seconds,
            ops_per_sec: baseline.tps,
            pg_cpu_us_per_event: baseline.pgCpuUsPerTx,
            client_cpu_us_per_event: baseline.clientCpuUsPerTx,
          });
        }
        const ratio = (r: BenchResult) => (baseline ? { vs_pgbench: Math.round((r.ops_per_sec / baseline.tps) * 100) / 100 } : {});
        const c = await benchCold(cold.url, PUBLISHERS, { accounts: ACCOUNTS, seconds: options.seconds, seed: round });
        report({ ...c, name: `${c.name}, round ${round}`, ...ratio(c) });
        const o = await benchOrchestrator(cold.url, orders.schema, { publishers: PUBLISHERS, orders: Math.round(options.seconds * 500) });
        const od = { ...o, name: `postgres default ${PUBLISHERS}, round ${round}`, ...ratio(o) };
        report(od);
        rounds.push({ ...(baseline && { pgbench: baseline }), cold: c, orders: o });
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
      const ratios = (pick: (r: (typeof rounds)[number]) => BenchResult) =>
        rounds.filter((r) => r.pgbench).map((r) => Math.round((pick(r).ops_per_sec / r.pgbench!.tps) * 100) / 100);
      const coldRatios = ratios((r) => r.cold);
      const orderRatios = ratios((r) => r.orders);
      if (pgb) {
        const tps = rounds.map((r) => r.pgbench!.tps);
        report({ name: `pgbench -N ${PUBLISHERS}`, ops: 0, seconds: options.seconds, ops_per_sec: median(tps), rounds: tps });
      }
      const coldRates = rounds.map((r) => r.cold.ops_per_sec);
      report({
        name: `postgres cold ${PUBLISHERS}`,
        ops: 0,
        seconds: options.seconds,
        ops_per_sec: median(coldRates),
        rounds: coldRates,
        ...(pgb && { vs_pgbench: median(coldRatios), vs_pgbench_rounds: coldRatios }),
      });
      const orderRates = rounds.map((r) => r.orders.ops_per_sec);
      report({
        name: `postgres default ${PUBLISHERS}`,
        ops: 0,
        seconds: options.seconds,
        ops_per_sec: median(orderRates),
        rounds: orderRates,
        ...(pgb && { vs_pgbench: median(orderRatios), vs_pgbench_rounds: orderRatios }),
      });
      if (pgb) {
        note(`# target: postgres cold ${PUBLISHERS} >= 1.5x pgbench -N: rounds ${coldRatios.join(', ')}; median ${median(coldRatios)}x`);
        note(`# target: postgres default ${PUBLISHERS} >= 3x pgbench -N in every round: ${orderRatios.join(', ')}`);
      }
      const rate = median(coldRates) / 2;
      const open = await openLoopCold(cold.url, rate, { accounts: ACCOUNTS, seconds: options.openSeconds, seed: 1234 });
      report({ name: 'postgres open-loop', ops: open.events, seconds: options.openSeconds, ops_per_sec: open.achieved_rate, ...open });
      note(`# target: postgres open-loop p99 < 10 ms at half the cold peak (${Math.round(rate)}/s): p99 ${open.p99_ms} ms${open.kept_up ? '' : ', DID NOT KEEP UP: percentiles meaningless'}`);
      if (pgb) {
        await checkpoint(pgb.url);
        const base = await pgbenchOpenLoop(pgb.url, PUBLISHERS, rate, options.openSeconds);
        report({ name: `pgbench -N open-loop`, ops: base.events, seconds: options.openSeconds, ops_per_sec: base.achieved_rate, ...base });
        note(`# baseline: pgbench -N -c ${PUBLISHERS} -R ${Math.round(rate)} (PostgreSQL alone at the same rate): p50 ${base.p50_ms} ms, p99 ${base.p99_ms} ms`);
      }
    } finally {
      await orders.drop();
    }
  } finally {
    await cold.drop();
    await pgb?.drop();
  }
}

async function memoryPart(report: (r: BenchResult) => void, note: (line: string) => void, options: RealisticOptions): Promise<void> {
  note('# Realistic, in memory (one process each): events to existing instances at random');
  const open = await memoryWorkload('open-loop', ACCOUNTS, options.openSeconds);
  report({ name: 'memory open-loop', ops: Number(open.events), seconds: options.openSeconds, ops_per_sec: Number(open.achieved_rate), ...open });
  note(`# target: memory open-loop p99 < 2 ms at half its peak (${String(open.target_rate)}/s): p99 ${String(open.p99_ms)} ms${open.kept_up ? '' : ', DID NOT KEEP UP: percentiles meaningless'}`);
  const small = await memoryWorkload('scale', 1_000, options.seconds);
  const large = await memoryWorkload('scale', options.largeScale, options.seconds);
  const label = (n: number) => `1e${Math.round(Math.log10(n))}`;
  for (const r of [small, large]) {
    report({ name: `memory scale ${label(Number(r.live))}`, ops: Number(r.events), seconds: Number(r.seconds), ops_per_sec: Number(r.ops_per_sec), ...r });
  }
  const change = Math.round((Number(large.ops_per_sec) / Number(small.ops_per_sec) - 1) * 1000) / 10;
  report({
    name: 'memory scale',
    ops: Number(large.events),
    seconds: Number(large.seconds),
    ops_per_sec: Number(large.ops_per_sec),
    ops_per_sec_1e3: small.ops_per_sec,
    live: large.live,
    change_pct: change,
    gc_share: large.gc_share,
    bytes_per_instance: large.bytes_per_instance,
    bytes_per_instance_beyond_data: large.bytes_per_instance_beyond_data,
    bytes_per_event: large.bytes_per_event,
  });
  note(`# target: memory 1e3 -> ${label(Number(large.live))} live instances <= -20 %: ${change} %; bytes per instance beyond its data <= 600: ${String(large.bytes_per_instance_beyond_data)}`);
}
