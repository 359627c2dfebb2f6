/**
 * @module bench/open-loop
 *
 * An open-loop load driver, free of coordinated omission: event i is due at `start + i / rate` and is
 * sent when due whether or not earlier ones finished, and its latency is its completion time minus its
 * due time (not its send time), so a stall is charged to every event that should have gone meanwhile.
 * A closed loop (each publisher waits for its last event) slows down with the system and hides exactly
 * that queueing. Warm-up at the same rate first, then the measured window.
 */
import { performance } from 'node:perf_hooks';

export interface OpenLoopOptions {
  /** Events per second, fixed. */
  readonly rate: number;
  /** The measured window. */
  readonly seconds: number;
  /** At the same rate before it, not measured (default 3 s). */
  readonly warmupSeconds?: number;
  /** Events allowed in flight before the driver stops sending and declares it could not keep up (default 20,000). */
  readonly maxInFlight?: number;
}

export interface OpenLoopResult {
  readonly target_rate: number;
  /** Events of the measured window completed per second of it (plus the time to drain it). */
  readonly achieved_rate: number;
  /** Whether the system kept up: every due event sent, ≥ 95 % of the window's events completed within it, the rest within a second. */
  readonly kept_up: boolean;
  readonly events: number;
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly p99_ms: number;
  readonly p999_ms: number;
  readonly max_ms: number;
  readonly failed: number;
}

/** Runs `op(i)` for events 0, 1, … at `rate` per second; `op` resolves when event i completed. */
export async function openLoop(options: OpenLoopOptions, op: (i: number) => Promise<void>): Promise<OpenLoopResult> {
  const { rate, seconds } = options;
  const warmup = options.warmupSeconds ?? 3;
  const maxInFlight = options.maxInFlight ?? 20_000;
  const interval = 1000 / rate;
  const warmEvents = Math.round(warmup * rate);
  const total = warmEvents + Math.round(seconds * rate);
  const latencies: number[] = [];
  let inFlight = 0;
  let failed = 0;
  let overran = false;
  let lastDone = 0;
  let doneInWindow = 0;
  const start = performance.now();
  const measuredFrom = start + warmEvents * interval;
  const windowEnd = measuredFrom + seconds * 1000;
  let next = 0;
  while (next < total) {
    const now = performance.now();
    // Every event due by now goes out now: a late tick sends the backlog at once, as a producer would.
    while (next < total && start + next * interval <= now) {
      if (inFlight >= maxInFlight) {
        overran = true;
        break;
      }
      const i = next++;
      const due = start + i * interval;
      inFlight++;
      void op(i).then(
        () => {
          const t = performance.now();
          if (i >= warmEvents) {
            latencies.push(t - due);
            lastDone = Math.max(lastDone, t);
            if (t <= windowEnd) doneInWindow++;
          }
        },
        () => void (i >= warmEvents && failed++),
      ).finally(() => inFlight--);
    }
    if (overran) break;
    const wait = start + next * interval - performance.now();
    // A timer wakes at 1 ms granularity at best; lateness is charged to the events, as it should be.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(wait, 5))));
  }
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const elapsed = (Math.max(windowEnd, lastDone) - measuredFrom) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
  const achieved = Math.round(latencies.length / elapsed);
  return {
    target_rate: Math.round(rate),
    achieved_rate: achieved,
    // Completions inside the window must match the rate: a backlog that drains only after it is not keeping up.
    kept_up: !overran && failed === 0 && lastDone <= windowEnd + 1000 && doneInWindow >= rate * seconds * 0.95,
    events: latencies.length,
    p50_ms: pct(0.5),
    p90_ms: pct(0.9),
    p99_ms: pct(0.99),
    p999_ms: pct(0.999),
    max_ms: round(latencies[latencies.length - 1] ?? 0),
    failed,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
