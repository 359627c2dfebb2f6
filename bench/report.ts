/**
 * @module bench/report
 * The shape every benchmark prints: a name, a fixed workload, throughput, and latencies where measured.
 */
export interface BenchResult {
  readonly name: string;
  readonly ops: number;
  readonly seconds: number;
  readonly ops_per_sec: number;
  readonly p50_ms?: number;
  readonly p99_ms?: number;
  readonly [extra: string]: unknown;
}

export function result(name: string, ops: number, ms: number, extra: Record<string, unknown> = {}): BenchResult {
  return { name, ops, seconds: +(ms / 1000).toFixed(3), ops_per_sec: Math.round((ops * 1000) / ms), ...extra };
}
