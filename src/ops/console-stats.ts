/**
 * @module ops/console-stats
 *
 * The overview's "at a glance" figures: dead letters counted by reason and by type (one grouped count
 * query, no letter read), and per saga over the last hour the events applied, the compensations that
 * rolled an instance back, and the failures (compensation steps that threw, messages dead-lettered).
 */
import type { DeadLetterReason, SagaActivity } from '../repository/types.ts';
import type { SagaOperations } from './saga-operations.ts';

export interface DeadLetterCounts {
  readonly total: number;
  readonly byReason: ReadonlyArray<{ readonly reason: DeadLetterReason; readonly count: number }>;
  /** `type` is null for input that was no envelope. */
  readonly byType: ReadonlyArray<{ readonly type: string | null; readonly count: number }>;
  readonly groups: ReadonlyArray<{ readonly reason: DeadLetterReason; readonly type: string | null; readonly saga: string | null; readonly count: number }>;
}

/**
 * @example
 * const { total, byReason } = await deadLetterCounts(ops);
 */
export async function deadLetterCounts(ops: SagaOperations): Promise<DeadLetterCounts> {
  const groups = await ops.repository.countDeadLettersBy();
  const sum = <K>(key: (g: (typeof groups)[number]) => K) => {
    const totals = new Map<K, number>();
    for (const g of groups) totals.set(key(g), (totals.get(key(g)) ?? 0) + g.count);
    return [...totals].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  };
  return {
    total: groups.reduce((n, g) => n + g.count, 0),
    byReason: sum((g) => g.reason).map(([reason, count]) => ({ reason, count })),
    byType: sum((g) => g.messageType).map(([type, count]) => ({ type, count })),
    groups: groups.map((g) => ({ reason: g.reason, type: g.messageType, saga: g.sagaName, count: g.count })),
  };
}

export const DEFAULT_THROUGHPUT_WINDOW_MS = 3_600_000;

export interface ThroughputReport {
  readonly since: string;
  readonly windowMs: number;
  /** Every saga with activity in the window, and every known saga (with zeros). */
  readonly sagas: ReadonlyArray<SagaActivity & { readonly failed: number }>;
}

/**
 * Per saga over the last `windowMs` (default an hour): applied, compensated, failed (= compensation
 * failures + dead letters).
 *
 * @example
 * const { sagas } = await throughput(ops);
 */
export async function throughput(ops: SagaOperations, windowMs: number = DEFAULT_THROUGHPUT_WINDOW_MS): Promise<ThroughputReport> {
  if (!Number.isInteger(windowMs) || windowMs < 1000 || windowMs > 7 * 86_400_000) throw new RangeError(`windowMs must be 1 s to 7 days, got ${windowMs}`);
  const since = new Date(ops.clock.now() - windowMs);
  const found = new Map((await ops.repository.activitySince(since)).map((a) => [a.sagaName, a]));
  for (const name of ops.sagaNames) if (!found.has(name)) found.set(name, { sagaName: name, applied: 0, compensated: 0, compensationFailed: 0, deadLettered: 0 });
  const sagas = [...found.values()]
    .sort((a, b) => (a.sagaName < b.sagaName ? -1 : a.sagaName > b.sagaName ? 1 : 0))
    .map((a) => ({ ...a, failed: a.compensationFailed + a.deadLettered }));
  return { since: since.toISOString(), windowMs, sagas };
}
