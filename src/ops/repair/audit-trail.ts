/**
 * @module ops/repair/audit-trail
 *
 * The audit trail across instances: the `sagaflow.operator.*` rows of every history, newest first, in
 * bounded pages (`SagaRepository.historyByType`), as views that say who did what, why, and what changed.
 */
import type { InstanceHistoryRecord, SagaRepository } from '../../repository/types.ts';
import { defined } from '../defined.ts';
import type { PageView } from '../saga-operations.ts';
import { toJsonValue } from '../views.ts';
import { OPERATOR_EVENT_PREFIX, type AuditRecord } from './audit.ts';

export interface AuditQuery {
  readonly saga?: string | undefined;
  /** 1..1000, default 50. */
  readonly limit?: number | undefined;
  readonly cursor?: string | undefined;
}

export interface AuditEntryView extends AuditRecord {
  readonly instanceId: string;
  readonly sagaName: string;
  readonly correlationId: string;
  /** The history row's sequence: the version the action's write produced. */
  readonly sequence: number;
  readonly at: string;
}

/**
 * @example
 * const page = await auditTrail(repository, { saga: 'order', limit: 20 });
 * for (const e of page.items) console.log(e.at, e.principal, e.action, e.reason);
 */
export async function auditTrail(repository: SagaRepository, query: AuditQuery = {}): Promise<PageView<AuditEntryView>> {
  const page = await repository.historyByType(
    defined({ eventTypePrefix: OPERATOR_EVENT_PREFIX, sagaName: query.saga, limit: query.limit, cursor: query.cursor }),
  );
  return { items: page.items.map(toAuditEntry), nextCursor: page.nextCursor };
}

export function toAuditEntry(row: InstanceHistoryRecord): AuditEntryView {
  const record = (row.payload ?? {}) as Partial<AuditRecord>;
  return {
    action: record.action ?? (row.eventType.slice(OPERATOR_EVENT_PREFIX.length) as AuditRecord['action']),
    principal: record.principal ?? 'unknown',
    reason: record.reason ?? '',
    before: record.before ?? null,
    after: record.after ?? null,
    ...(record.details !== undefined && { details: toJsonValue(record.details) }),
    instanceId: row.instanceId,
    sagaName: row.sagaName,
    correlationId: row.correlationId,
    sequence: row.sequence,
    at: row.at.toISOString(),
  };
}
