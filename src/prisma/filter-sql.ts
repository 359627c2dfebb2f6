/**
 * @module prisma/filter-sql
 *
 * An `InstanceFilter` as a SQL `WHERE` clause over `sagaflow_instances`, every value a bound parameter.
 * Data conditions pass their (already strictly checked) path as a `text[]` parameter to `#>`, so no part
 * of a path or value is ever spliced into the statement text. An equality also tests containment
 * (`data @> {"a":{"b":v}}`), which a GIN index on `data` (`jsonb_path_ops`) serves (docs/operations.md,
 * "Search"); the exact `#>` comparison beside it keeps the meaning of `=` for arrays and nesting.
 */
import { checkInstanceFilter, containmentOf, isName, isRange, type InstanceFilter } from '../repository/instance-filter.ts';
import type { SagaStatus } from '../repository/types.ts';

/** Adds a bound parameter and returns its placeholder (`$3::text`). */
export type Param = (value: unknown, cast?: string) => string;

/** Collects parameters for one statement. */
export function paramList(): { readonly params: unknown[]; readonly param: Param } {
  const params: unknown[] = [];
  return {
    params,
    param: (value, cast = '') => {
      params.push(value);
      return `$${params.length}${cast}`;
    },
  };
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The conditions of `filter`, to be joined with AND (an empty list for no filter).
 *
 * @example
 * const { params, param } = paramList();
 * filterConditions({ sagaName: 'order', data: [parseDataCondition('data.total > 100')] }, param);
 * // ["saga_name = $1::text", "jsonb_typeof(data #> $2::text[]) = $3::text AND (data #> $2::text[]) > $4::jsonb"]
 */
export function filterConditions(filter: InstanceFilter, param: Param): string[] {
  checkInstanceFilter(filter);
  const where: string[] = [];
  const at = (d: Date) => param(d.toISOString(), '::timestamptz');
  if (filter.sagaName !== undefined) where.push(`saga_name = ${param(filter.sagaName, '::text')}`);
  if (filter.state !== undefined) where.push(`state = ${param(filter.state, '::text')}`);
  if (filter.correlationId !== undefined) where.push(`correlation_id = ${param(filter.correlationId, '::text')}`);
  if (filter.correlationIdPrefix !== undefined) where.push(`correlation_id LIKE ${param(likePrefix(filter.correlationIdPrefix), '::text')}`);
  if (filter.status !== undefined) {
    const statuses: readonly SagaStatus[] = typeof filter.status === 'string' ? [filter.status] : filter.status;
    // An empty list matches nothing, like an empty IN would if SQL allowed one.
    where.push(statuses.length === 0 ? 'false' : `status IN (${statuses.map((s) => param(s, '::text')).join(', ')})`);
  }
  if (filter.updatedBefore !== undefined) where.push(`updated_at < ${at(filter.updatedBefore)}`);
  if (filter.updatedAfter !== undefined) where.push(`updated_at >= ${at(filter.updatedAfter)}`);
  if (filter.createdBefore !== undefined) where.push(`created_at < ${at(filter.createdBefore)}`);
  if (filter.createdAfter !== undefined) where.push(`created_at >= ${at(filter.createdAfter)}`);
  if (filter.completedBefore !== undefined) where.push(`completed_at < ${at(filter.completedBefore)}`);
  if (filter.definitionVersion !== undefined) where.push(`data_version = ${param(filter.definitionVersion, '::int')}`);
  if (filter.definitionVersionBelow !== undefined) where.push(`data_version < ${param(filter.definitionVersionBelow, '::int')}`);
  if (filter.hasSchedules !== undefined) where.push(filter.hasSchedules ? `schedules <> '[]'::jsonb` : `schedules = '[]'::jsonb`);
  for (const c of filter.data ?? []) {
    const path = param(c.path, '::text[]');
    const value = param(JSON.stringify(c.value), '::jsonb');
    if (c.op === '=') {
      // Containment only through object keys: an index segment in `@>` would mean "any element".
      const contains = c.path.every(isName) ? `data @> ${param(JSON.stringify(containmentOf(c.path, c.value)), '::jsonb')} AND ` : '';
      where.push(`${contains}(data #> ${path}) = ${value}`);
    } else if (c.op === '!=') {
      where.push(`(data #> ${path}) IS DISTINCT FROM ${value}`);
    } else if (isRange(c.op)) {
      // jsonb orders across types (a boolean sorts above every number): compare within the value's own type only.
      where.push(`jsonb_typeof(data #> ${path}) = ${param(typeof c.value, '::text')} AND (data #> ${path}) ${c.op} ${value}`);
    }
  }
  return where;
}

/** `SELECT count(*)` of the instances a filter selects. */
export function buildCountQuery(filter: InstanceFilter = {}): { readonly sql: string; readonly params: readonly unknown[] } {
  const { params, param } = paramList();
  const where = filterConditions(filter, param);
  return { sql: `SELECT count(*) AS count FROM sagaflow_instances${where.length ? `\nWHERE ${where.join(' AND ')}` : ''}`, params };
}
