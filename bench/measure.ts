/**
 * @module bench/measure
 * A closed-loop load driver: `concurrency` workers each run `op` back to back until the duration or the
 * operation budget is spent; reports throughput and latency percentiles. Shared by the persistence benches.
 */
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  readonly concurrency: number;
  /** Measure for this long (default 5000 ms) ... */
  readonly durationMs?: number;
  /** ... or stop after this many operations in total. */
  readonly operations?: number;
  /** Unmeasured run-in per worker, so connections and statement caches are warm (default 20 ops). */
  readonly warmup?: number;
}

export interface LoadResult {
  readonly ops_per_sec: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly operations: number;
  readonly concurrency: number;
}

/** `op(worker)` performs one operation for worker `worker` (0-based). */
export async function runLoad(options: LoadOptions, op: (worker: number) => Promise<void>): Promise<LoadResult> {
  const { concurrency } = options;
  const warmup = options.warmup ?? 20;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; i < warmup; i++) await op(w);
    }),
  );
  const budget = options.operations ?? Number.POSITIVE_INFINITY;
  const deadline = options.operations === undefined ? performance.now() + (options.durationMs ?? 5000) : Infinity;
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (started < budget && performance.now() < deadline) {
        started++;
        const s = performance.now();
        await op(w);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    ops_per_sec: Math.round(latencies.length / elapsed),
    p50_ms: round(pct(0.5)),
    p99_ms: round(pct(0.99)),
    operations: latencies.length,
    concurrency,
  };
}
