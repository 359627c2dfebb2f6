/**
 * @module repository/find-helpers
 *
 * Small pieces every store shares for the operator's finding queries: the order of grouped dead-letter
 * counts, the statuses retention removes, the bound on a purge batch, and (for stores that scan) the
 * per-saga activity count.
 */
import { SagaStatus, type DeadLetterGroupCount, type SagaActivity } from './types.ts';

/** The statuses of a finished instance: what retention may remove. */
export const FINISHED: readonly SagaStatus[] = Object.freeze([SagaStatus.Completed, SagaStatus.Faulted]);

/** The history event type of a compensation run that stopped on a failing step. */
export const COMPENSATION_FAILED_TYPE = 'sagaflow.compensation.failed';
/** Compensation runs' own writes start with this; they are not "events applied". */
export const COMPENSATION_PREFIX = 'sagaflow.compensation.';

export const MAX_PURGE_BATCH = 10_000;

/** A purge batch size, checked: an integer 1..10000 (`RangeError` otherwise). */
export function purgeLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PURGE_BATCH) throw new RangeError(`purge batch limit must be an integer 1..${MAX_PURGE_BATCH}, got ${limit}`);
  return limit;
}

/** Largest groups first, then by reason, type and saga: the same order in every store. */
export function byGroupCount(a: DeadLetterGroupCount, b: DeadLetterGroupCount): number {
  return b.count - a.count || a.reason.localeCompare(b.reason) || (a.messageType ?? '').localeCompare(b.messageType ?? '') || (a.sagaName ?? '').localeCompare(b.sagaName ?? '');
}

export function bySagaName(a: SagaActivity, b: SagaActivity): number {
  return a.sagaName < b.sagaName ? -1 : a.sagaName > b.sagaName ? 1 : 0;
}

interface ScannedInstance {
  readonly id: string;
  readonly sagaName: string;
  readonly status: SagaStatus;
  readonly updatedAt: number;
  readonly completedAt: number | null;
}

/**
 * Activity since `since` (epoch ms) by scanning: only instances written since then can have history
 * rows since then, which is also how the SQL version narrows its scan.
 */
export function activityOf(
  instances: Iterable<ScannedInstance>,
  historyOf: (id: string) => readonly { readonly eventType: string; readonly at: number }[] | undefined,
  deadLetterJson: Iterable<string>,
  since: number,
): readonly SagaActivity[] {
  const bySaga = new Map<string, { sagaName: string; applied: number; compensated: number; compensationFailed: number; deadLettered: number }>();
  const of = (sagaName: string) => {
    let a = bySaga.get(sagaName);
    if (!a) bySaga.set(sagaName, (a = { sagaName, applied: 0, compensated: 0, compensationFailed: 0, deadLettered: 0 }));
    return a;
  };
  for (const r of instances) {
    if (r.updatedAt < since) continue;
    const a = of(r.sagaName);
    if (r.status === SagaStatus.Faulted && r.completedAt !== null && r.completedAt >= since) a.compensated++;
    for (const h of historyOf(r.id) ?? []) {
      if (h.at < since) continue;
      if (h.eventType === COMPENSATION_FAILED_TYPE) a.compensationFailed++;
      else if (!h.eventType.startsWith(COMPENSATION_PREFIX)) a.applied++;
    }
  }
  for (const json of deadLetterJson) {
    const d = JSON.parse(json) as { sagaName: string | null; createdAt: string };
    if (d.sagaName !== null && Date.parse(d.createdAt) >= since) of(d.sagaName).deadLettered++;
  }
  return [...bySaga.values()].filter((a) => a.applied + a.compensated + a.compensationFailed + a.deadLettered > 0).sort(bySagaName);
}
