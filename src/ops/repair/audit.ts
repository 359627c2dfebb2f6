/**
 * @module ops/repair/audit
 *
 * The audit record of an operator's action. Every repair (send, transition, cancel, a retried
 * compensation, a replayed or discarded dead letter) leaves one row in the instance's history, of type
 * `sagaflow.operator.<action>`, whose payload says who, why, what, and the instance before and after.
 * The row is a write like any other (its sequence is the version it produced), so the timeline, the
 * export and `sagaflow audit` all see it, and it is version-checked like any other.
 */
import { ConcurrencyError } from '../../errors/concurrency-error.ts';
import { MAX_REASON_LENGTH, ReasonRequiredError } from '../../errors/reason-required-error.ts';
import { uuidv7 } from '../../messages/uuid-v7.ts';
import type { HistoryRecord, SagaInstanceRecord, SagaRepository, SagaStatus } from '../../repository/types.ts';

/** The event type of every audit row starts with this. */
export const OPERATOR_EVENT_PREFIX = 'sagaflow.operator.';

export const REPAIR_ACTIONS = Object.freeze([
  'send',
  'transition',
  'cancel',
  'retry-compensation',
  'replay-dead-letter',
  'discard-dead-letter',
] as const);
export type RepairAction = (typeof REPAIR_ACTIONS)[number];

/** Who acts, and why: every repair takes one. */
export interface Actor {
  /** The principal's name: an API principal, or `cli:<os user>` for the CLI. */
  readonly principal: string;
  readonly reason: string;
}

/** The instance as the audit record keeps it, before and after the action. */
export interface InstanceSnapshot {
  readonly state: string;
  readonly status: SagaStatus;
  readonly version: number;
  readonly data: unknown;
}

/** The payload of a `sagaflow.operator.*` history row. */
export interface AuditRecord {
  readonly action: RepairAction;
  readonly principal: string;
  readonly reason: string;
  /** `null` when there was no instance (never for the instance actions). */
  readonly before: InstanceSnapshot | null;
  /** `null` when the action removed the instance (a saga that removes finished instances). */
  readonly after: InstanceSnapshot | null;
  /** What the action was given or did: the event sent, the data patch, the dead letter's id, the outcome. */
  readonly details?: unknown;
}

/** The actor, checked: a reason is required and bounded; the principal names someone. */
export function checkActor(action: RepairAction, actor: Partial<Actor> | undefined): Actor {
  const reason = typeof actor?.reason === 'string' ? actor.reason.trim() : '';
  if (reason.length === 0) throw new ReasonRequiredError(action);
  if (reason.length > MAX_REASON_LENGTH) throw new ReasonRequiredError(action, true);
  const principal = typeof actor?.principal === 'string' && actor.principal.length > 0 ? actor.principal.slice(0, 200) : 'anonymous';
  return { principal, reason };
}

export function snapshotOf(record: SagaInstanceRecord | null): InstanceSnapshot | null {
  return record && { state: record.state, status: record.status, version: record.version, data: record.data };
}

/** The history row a repair writes with its commit: `next` is the record the commit stores. */
export function auditRow(before: SagaInstanceRecord, next: SagaInstanceRecord, record: AuditRecord, at: Date): HistoryRecord {
  return {
    instanceId: before.id,
    sequence: next.version,
    messageId: uuidv7(at.getTime()),
    eventType: OPERATOR_EVENT_PREFIX + record.action,
    stateBefore: before.state,
    stateAfter: next.state,
    payload: record,
    at,
  };
}

/** Conflicts an after-the-fact audit row rides out: it changes nothing else, so writing it again is safe. */
const AUDIT_ATTEMPTS = 8;

/**
 * Records an action that wrote through another path (an event sent through the orchestrator, a
 * compensation run, a replayed letter) as a row of its own on top of whatever is there now: the
 * instance as read, one version up. `after` is that instance. Returns null when the instance is gone.
 */
export async function appendAudit(
  repository: SagaRepository,
  instanceId: string,
  record: Omit<AuditRecord, 'after'>,
  now: () => number,
): Promise<AuditRecord | null> {
  for (let attempt = 1; ; attempt++) {
    const current = await repository.findById(instanceId);
    if (!current) return null;
    const at = new Date(now());
    const full: AuditRecord = { ...record, after: snapshotOf(current) };
    const next: SagaInstanceRecord = { ...current, version: current.version + 1, updatedAt: at };
    try {
      await repository.commit({ kind: 'update', instance: next, expectedVersion: current.version, history: auditRow(current, next, full, at) });
      return full;
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= AUDIT_ATTEMPTS) throw error;
    }
  }
}
