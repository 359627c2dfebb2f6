/**
 * @module ops/stuck
 *
 * Stuck instances: those nothing will move on its own. Three kinds:
 * - `idle`: active, with no pending schedule or request (nothing will wake it), and not updated for
 *   longer than the threshold of its saga, or of its state (`StuckPolicy`);
 * - `compensation_failed`: a compensation step threw; it waits for an operator (`retry-compensation`);
 * - `lease_expired`: compensating, but no step was written for longer than the compensation lease (the
 *   process running it died; another worker's `start()` or lease sweep should take it over).
 */
import { DEFAULT_COMPENSATION_LEASE_MS } from '../runtime/orchestrator.ts';
import type { InstanceFilter } from '../repository/instance-filter.ts';
import { SagaStatus, type SagaInstanceRecord } from '../repository/types.ts';
import type { SagaOperations } from './saga-operations.ts';
import { toSummary, type InstanceSummary } from './views.ts';

export const STUCK_KINDS = Object.freeze(['idle', 'compensation_failed', 'lease_expired'] as const);
export type StuckKind = (typeof STUCK_KINDS)[number];

/** Default threshold of `idle`: an hour without a change and nothing pending. */
export const DEFAULT_STUCK_AFTER_MS = 3_600_000;

/** When an idle instance counts as stuck: one threshold, overridden per saga, and per state of a saga. */
export interface StuckPolicy {
  /** Default 1 h. */
  readonly olderThanMs?: number;
  readonly sagas?: Readonly<Record<string, { readonly olderThanMs?: number; readonly states?: Readonly<Record<string, number>> }>>;
  /** A compensation with no step written for this long lost its runner. Default the orchestrator's 30 s. */
  readonly compensationLeaseMs?: number;
}

export interface StuckQuery extends StuckPolicy {
  /** Only this saga's instances. */
  readonly saga?: string;
  /** Most instances listed (oldest change first), 1..1000, default 50. The counts are complete. */
  readonly limit?: number;
}

export interface StuckInstance extends InstanceSummary {
  readonly kind: StuckKind;
  /** The threshold it passed (0 for `compensation_failed`, which is stuck at once). */
  readonly thresholdMs: number;
}

export interface StuckReport {
  readonly total: number;
  readonly counts: ReadonlyArray<{ readonly sagaName: string; readonly kind: StuckKind; readonly count: number }>;
  readonly items: readonly StuckInstance[];
}

/** One store query of the scan: a filter, its kind and threshold. */
interface Probe {
  readonly sagaName: string;
  readonly kind: StuckKind;
  readonly thresholdMs: number;
  readonly filter: InstanceFilter;
}

/** The probes for a policy, given which (saga, state, status) hold instances now. */
async function probes(ops: SagaOperations, query: StuckQuery, now: number): Promise<Probe[]> {
  const counts = await ops.repository.countByState(query.saga);
  const base = query.olderThanMs ?? DEFAULT_STUCK_AFTER_MS;
  const lease = query.compensationLeaseMs ?? DEFAULT_COMPENSATION_LEASE_MS;
  const out: Probe[] = [];
  const sagas = new Set(counts.map((c) => c.sagaName));
  for (const sagaName of sagas) {
    const mine = counts.filter((c) => c.sagaName === sagaName && c.count > 0);
    const rule = query.sagas?.[sagaName];
    const sagaThreshold = rule?.olderThanMs ?? base;
    const active = mine.filter((c) => c.status === SagaStatus.Active);
    // A state with its own threshold is probed alone; the saga's others together, in one query.
    const own = new Set(Object.keys(rule?.states ?? {}));
    const idle = (thresholdMs: number, state?: string): Probe => ({
      sagaName,
      kind: 'idle',
      thresholdMs,
      filter: { sagaName, ...(state !== undefined && { state }), status: SagaStatus.Active, hasSchedules: false, updatedBefore: new Date(now - thresholdMs) },
    });
    if (own.size === 0) {
      if (active.length) out.push(idle(sagaThreshold));
    } else {
      for (const c of active) out.push(idle(own.has(c.state) ? rule!.states![c.state]! : sagaThreshold, c.state));
    }
    if (mine.some((c) => c.status === SagaStatus.CompensationFailed)) {
      out.push({ sagaName, kind: 'compensation_failed', thresholdMs: 0, filter: { sagaName, status: SagaStatus.CompensationFailed } });
    }
    if (mine.some((c) => c.status === SagaStatus.Compensating)) {
      out.push({ sagaName, kind: 'lease_expired', thresholdMs: lease, filter: { sagaName, status: SagaStatus.Compensating, updatedBefore: new Date(now - lease) } });
    }
  }
  return out;
}

/**
 * Counts every stuck instance, per saga and kind (one count query per probe, no rows read).
 *
 * @example
 * const { counts } = await countStuck(ops, { olderThanMs: 30 * 60_000 });
 */
export async function countStuck(ops: SagaOperations, query: StuckQuery = {}): Promise<StuckReport['counts']> {
  const list = await probes(ops, query, ops.clock.now());
  const counted = await Promise.all(list.map(async (p) => ({ p, count: await ops.repository.countInstances(p.filter) })));
  return mergeCounts(counted);
}

/** Per (saga, kind) totals of the probes' counts, by saga name then kind. */
function mergeCounts(counted: ReadonlyArray<{ readonly p: Probe; readonly count: number }>): StuckReport['counts'] {
  const bySagaKind = new Map<string, { sagaName: string; kind: StuckKind; count: number }>();
  for (const { p, count } of counted) {
    if (count === 0) continue;
    const key = `${p.sagaName}\u0000${p.kind}`;
    const c = bySagaKind.get(key) ?? { sagaName: p.sagaName, kind: p.kind, count: 0 };
    c.count += count;
    bySagaKind.set(key, c);
  }
  return [...bySagaKind.values()].sort((a, b) => (a.sagaName < b.sagaName ? -1 : a.sagaName > b.sagaName ? 1 : STUCK_KINDS.indexOf(a.kind) - STUCK_KINDS.indexOf(b.kind)));
}

/**
 * The stuck instances: complete counts, and the `limit` that changed longest ago.
 *
 * @example
 * const report = await findStuck(ops, { olderThanMs: 3_600_000, sagas: { order: { states: { AwaitingPayment: 86_400_000 } } } });
 */
export async function findStuck(ops: SagaOperations, query: StuckQuery = {}): Promise<StuckReport> {
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError(`limit must be an integer 1..1000, got ${limit}`);
  const list = await probes(ops, query, ops.clock.now());
  const found = await Promise.all(
    list.map(async (p) => {
      const [page, count] = await Promise.all([ops.repository.list({ ...p.filter, order: 'asc', limit }), ops.repository.countInstances(p.filter)]);
      return { p, rows: page.items, count };
    }),
  );
  const items: Array<{ record: SagaInstanceRecord; kind: StuckKind; thresholdMs: number }> = [];
  for (const { p, rows } of found) for (const record of rows) items.push({ record, kind: p.kind, thresholdMs: p.thresholdMs });
  items.sort((a, b) => a.record.updatedAt.getTime() - b.record.updatedAt.getTime() || (a.record.id < b.record.id ? -1 : 1));
  const countList = mergeCounts(found);
  return {
    total: countList.reduce((sum, c) => sum + c.count, 0),
    counts: countList,
    items: items.slice(0, limit).map(({ record, kind, thresholdMs }) => ({ ...toSummary(record), kind, thresholdMs })),
  };
}
