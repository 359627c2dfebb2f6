/**
 * @module prisma/list-query
 *
 * Builds the monitoring `list()` statement: the filter (`filter-sql.ts`), then keyset pagination on
 * (updated_at, id), which the `sagaflow_instances_updated_at_id_idx` index serves in both directions.
 */
import type { InstanceQuery } from '../repository/types.ts';
import { filterConditions, paramList } from './filter-sql.ts';
import { decodeCursor, pageSize } from '../repository/cursor.ts';
import { InvalidCursorError } from '../errors/invalid-cursor-error.ts';
import { INSTANCE_COLUMNS } from './sql.ts';
import { isUuid } from './uuid.ts';

export interface BuiltQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** Rows asked for: one more than the page size, to know whether a next page exists. */
  readonly fetch: number;
  readonly limit: number;
}

/**
 * @example
 * buildListQuery({ sagaName: 'order', status: ['active', 'compensating'], limit: 10 });
 * // WHERE saga_name = $1 AND status IN ($2, $3) ORDER BY updated_at DESC, id DESC LIMIT 11
 */
export function buildListQuery(query: InstanceQuery = {}): BuiltQuery {
  const { params, param } = paramList();
  const where = filterConditions(query, param);
  const desc = (query.order ?? 'desc') === 'desc';
  if (query.cursor !== undefined) {
    // The shared decoder (same cursors as the in-memory repository) accepts any id; ours are uuids.
    const key = decodeCursor(query.cursor);
    if (!isUuid(key.id)) throw new InvalidCursorError('its id is not a uuid');
    const at = param(key.updatedAt.toISOString(), '::timestamptz');
    const id = param(key.id, '::uuid');
    where.push(`(updated_at, id) ${desc ? '<' : '>'} (${at}, ${id})`);
  }

  const limit = pageSize(query.limit);
  const direction = desc ? 'DESC' : 'ASC';
  const sql =
    `SELECT ${INSTANCE_COLUMNS} FROM sagaflow_instances` +
    (where.length ? `\nWHERE ${where.join(' AND ')}` : '') +
    `\nORDER BY updated_at ${direction}, id ${direction}\nLIMIT ${limit + 1}`;
  return { sql, params, fetch: limit + 1, limit };
}
