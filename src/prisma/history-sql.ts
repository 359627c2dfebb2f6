/**
 * @module prisma/history-sql
 *
 * History rows of one kind across instances (`SagaRepository.historyByType`: the audit trail), newest
 * first, in keyset pages over (at, instance_id, sequence). The prefix is matched literally (LIKE with
 * its wildcards escaped). Without an index of its own on event types (one would cost every event's
 * write an index insert), a page reads history rows until it has found `limit`: cheap while operator
 * rows are recent, a scan on a large history otherwise; narrow it with `sagaName`.
 */
import { decodeHistoryCursor, encodeHistoryCursor } from '../repository/history-cursor.ts';
import { pageSize } from '../repository/cursor.ts';
import type { HistoryByTypeQuery, InstanceHistoryRecord, Page } from '../repository/types.ts';
import type { SqlRunner } from './client-types.ts';
import { rowToHistory, type HistoryRow } from './row-mapping.ts';

const COLUMNS = `h.instance_id::text AS instance_id, h.sequence, h.message_id, h.event_type, h.state_before,
  h.state_after, h.payload::text AS payload, h.at, h.sent::text AS sent`;

/** `%`, `_` and the escape character itself, taken literally. */
export function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}

export async function historyByType(sql: SqlRunner, query: HistoryByTypeQuery): Promise<Page<InstanceHistoryRecord>> {
  const limit = pageSize(query.limit);
  const params: unknown[] = [likePrefix(query.eventTypePrefix)];
  const where = [`h.event_type LIKE $1`];
  if (query.sagaName !== undefined) {
    params.push(query.sagaName);
    where.push(`i.saga_name = $${params.length}::text`);
  }
  if (query.cursor !== undefined) {
    const after = decodeHistoryCursor(query.cursor);
    params.push(after.at, after.instanceId, after.sequence);
    const n = params.length;
    where.push(`(h.at, h.instance_id, h.sequence) < ($${n - 2}::timestamptz, $${n - 1}::uuid, $${n}::int)`);
  }
  params.push(limit + 1);
  const rows = await sql.query<HistoryRow & { saga_name: string; correlation_id: string }>(
    `SELECT ${COLUMNS}, i.saga_name, i.correlation_id
     FROM sagaflow_history h JOIN sagaflow_instances i ON i.id = h.instance_id
     WHERE ${where.join(' AND ')}
     ORDER BY h.at DESC, h.instance_id DESC, h.sequence DESC LIMIT $${params.length}::int`,
    params,
  );
  const items = rows.slice(0, limit).map((r) => ({ ...rowToHistory(r), sagaName: r.saga_name, correlationId: r.correlation_id }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeHistoryCursor(last) : null };
}
