/**
 * @module prisma/find-sql
 *
 * The operator's finding queries and retention on PostgreSQL: instance counts by filter, dead letters
 * counted by group, per-saga activity over a window, and purge batches.
 */
import { COMPENSATION_FAILED_TYPE, COMPENSATION_PREFIX, FINISHED, byGroupCount, purgeLimit } from '../repository/find-helpers.ts';
import type { InstanceFilter } from '../repository/instance-filter.ts';
import type { DeadLetterGroupCount, DeadLetterReason, PurgeBatch, PurgeResult, SagaActivity } from '../repository/types.ts';
import type { SqlRunner } from './client-types.ts';
import { buildCountQuery, paramList } from './filter-sql.ts';

type Count = number | bigint | string;

export async function countInstances(sql: SqlRunner, filter?: InstanceFilter): Promise<number> {
  const built = buildCountQuery(filter);
  const [row] = await sql.query<{ count: Count }>(built.sql, built.params);
  return Number(row?.count ?? 0);
}

const DEAD_LETTER_GROUPS = `SELECT reason, message_type, saga_name, count(*) AS count FROM sagaflow_dead_letters
GROUP BY reason, message_type, saga_name`;

export async function countDeadLettersBy(sql: SqlRunner): Promise<readonly DeadLetterGroupCount[]> {
  const rows = await sql.query<{ reason: string; message_type: string | null; saga_name: string | null; count: Count }>(DEAD_LETTER_GROUPS, []);
  // Sorted here, not by SQL, so the order is the in-memory repository's whatever the database collation.
  return rows
    .map((r) => ({ reason: r.reason as DeadLetterReason, messageType: r.message_type, sagaName: r.saga_name, count: Number(r.count) }))
    .sort(byGroupCount);
}

/**
 * Only instances written since `$1` can have history rows since `$1` (every write updates `updated_at`),
 * so the scan starts on the `(updated_at, id)` index and probes each one's history by primary key,
 * instead of reading the whole journal. Finished instances a saga deletes leave no trace here.
 */
const ACTIVITY = `WITH written AS (
  SELECT i.saga_name,
    count(*) FILTER (WHERE h.event_type NOT LIKE $2::text) AS applied,
    count(*) FILTER (WHERE h.event_type = $3::text) AS compensation_failed
  FROM sagaflow_instances i
  JOIN sagaflow_history h ON h.instance_id = i.id AND h.at >= $1::timestamptz
  WHERE i.updated_at >= $1::timestamptz
  GROUP BY i.saga_name
), faulted AS (
  SELECT saga_name, count(*) AS compensated FROM sagaflow_instances
  WHERE updated_at >= $1::timestamptz AND status = 'faulted' AND completed_at >= $1::timestamptz
  GROUP BY saga_name
), letters AS (
  SELECT saga_name, count(*) AS dead_lettered FROM sagaflow_dead_letters
  WHERE created_at >= $1::timestamptz AND saga_name IS NOT NULL
  GROUP BY saga_name
)
SELECT s.saga_name, coalesce(w.applied, 0) AS applied, coalesce(w.compensation_failed, 0) AS compensation_failed,
  coalesce(f.compensated, 0) AS compensated, coalesce(l.dead_lettered, 0) AS dead_lettered
FROM (SELECT saga_name FROM written UNION SELECT saga_name FROM faulted UNION SELECT saga_name FROM letters) s
LEFT JOIN written w ON w.saga_name = s.saga_name
LEFT JOIN faulted f ON f.saga_name = s.saga_name
LEFT JOIN letters l ON l.saga_name = s.saga_name`;

export async function activitySince(sql: SqlRunner, since: Date): Promise<readonly SagaActivity[]> {
  const rows = await sql.query<{ saga_name: string; applied: Count; compensation_failed: Count; compensated: Count; dead_lettered: Count }>(ACTIVITY, [
    since.toISOString(),
    `${COMPENSATION_PREFIX.replace(/_/g, '\\_')}%`,
    COMPENSATION_FAILED_TYPE,
  ]);
  return rows
    .map((r) => ({
      sagaName: r.saga_name,
      applied: Number(r.applied),
      compensated: Number(r.compensated),
      compensationFailed: Number(r.compensation_failed),
      deadLettered: Number(r.dead_lettered),
    }))
    .filter((a) => a.applied + a.compensated + a.compensationFailed + a.deadLettered > 0)
    .sort((a, b) => (a.sagaName < b.sagaName ? -1 : a.sagaName > b.sagaName ? 1 : 0));
}

/**
 * One retention batch in one statement: the oldest finished instances, locked `FOR UPDATE SKIP LOCKED`
 * so that purgers in several processes take disjoint batches without waiting on each other (and a row a
 * writer holds is left for a later batch), then their history and themselves deleted. The status test
 * is re-checked on the locked row, so an instance is never removed unless it is finished when deleted.
 */
export async function purgeFinished(sql: SqlRunner, batch: PurgeBatch): Promise<PurgeResult> {
  const { params, param } = paramList();
  const where = [
    `status IN (${FINISHED.map((s) => param(s, '::text')).join(', ')})`,
    `completed_at < ${param(batch.finishedBefore.toISOString(), '::timestamptz')}`,
  ];
  if (batch.sagaName !== undefined) where.push(`saga_name = ${param(batch.sagaName, '::text')}`);
  if (batch.exceptSagas?.length) where.push(`NOT (saga_name = ANY(${param([...batch.exceptSagas], '::text[]')}))`);
  const statement = `WITH victims AS (
  SELECT id FROM sagaflow_instances
  WHERE ${where.join(' AND ')}
  ORDER BY completed_at
  LIMIT ${purgeLimit(batch.limit)}
  FOR UPDATE SKIP LOCKED
), h AS (
  DELETE FROM sagaflow_history WHERE instance_id IN (SELECT id FROM victims) RETURNING 1
), i AS (
  DELETE FROM sagaflow_instances WHERE id IN (SELECT id FROM victims) RETURNING 1
)
SELECT (SELECT count(*) FROM i) AS instances, (SELECT count(*) FROM h) AS history`;
  const [row] = await sql.query<{ instances: Count; history: Count }>(statement, params);
  return { instances: Number(row?.instances ?? 0), history: Number(row?.history ?? 0) };
}
