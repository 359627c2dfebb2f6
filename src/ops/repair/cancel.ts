/**
 * @module ops/repair/cancel
 *
 * Cancelling an instance by hand: compensate now and end `faulted`, the pure part. The instance is
 * marked (`InstanceError.cancelled`) so that the compensation run, wherever it is resumed, ends it
 * `faulted` in whatever state it is; with nothing to compensate it is `faulted` at once. Its pending
 * schedules are cancelled: nothing should wake a cancelled instance.
 */
import { RepairRefusedError } from '../../errors/repair-refused-error.ts';
import { SagaStatus, type SagaInstanceRecord } from '../../repository/types.ts';
import type { Actor } from './audit.ts';

/** The code of the instance error a cancel leaves (the mark the compensation runner honours is `cancelled`). */
export const CANCELLED = 'SAGA_CANCELLED';

export interface CancelPlan {
  readonly next: SagaInstanceRecord;
  /** Outbox rows of the cancelled schedules. */
  readonly cancelOutbox: readonly string[];
  /** True when a compensation run must follow (the stack is not empty). */
  readonly compensate: boolean;
}

/**
 * @example
 * const { next, compensate } = planCancel(record, { principal: 'ops:ana', reason: 'customer withdrew' }, Date.now());
 */
export function planCancel(record: SagaInstanceRecord, actor: Actor, now: number): CancelPlan {
  if (record.status === SagaStatus.Completed || record.status === SagaStatus.Faulted) {
    throw new RepairRefusedError(record.id, 'cancel', `it is ${record.status} already`);
  }
  if (record.status === SagaStatus.Compensating) {
    throw new RepairRefusedError(record.id, 'cancel', 'its compensation is running already');
  }
  const at = new Date(now);
  const compensate = record.compensation.length > 0;
  const mark = { code: CANCELLED, message: `cancelled by ${actor.principal}: ${actor.reason}`, at, cancelled: true as const };
  const next: SagaInstanceRecord = {
    ...record,
    version: record.version + 1,
    // A failed compensation is resumed from its failed step (the retry claims it); otherwise it starts.
    status: compensate ? SagaStatus.Compensating : SagaStatus.Faulted,
    error: mark,
    schedules: undefined,
    updatedAt: at,
    completedAt: compensate ? null : at,
  };
  return { next, cancelOutbox: (record.schedules ?? []).map((s) => s.token), compensate };
}
