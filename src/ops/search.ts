/**
 * @module ops/search
 *
 * Search by business data: the operator's filter (text conditions such as `data.customerId = c-42`,
 * a correlation-id prefix, a definition version, created and updated ranges) turned into the store's
 * `InstanceFilter`, and a page of matches with the total the store counts.
 */
import { InvalidFilterError } from '../errors/invalid-filter-error.ts';
import { FILTER_LIMITS, parseDataCondition, type InstanceFilter } from '../repository/instance-filter.ts';
import type { SagaStatus, SortOrder } from '../repository/types.ts';
import { defined } from './defined.ts';
import type { PageView, SagaOperations } from './saga-operations.ts';
import { toSummary, type InstanceSummary } from './views.ts';

/** A search as the API and the CLI take it. Dates are ISO-8601 strings or `Date`s. */
export interface SearchFilter {
  readonly saga?: string;
  readonly state?: string;
  readonly status?: readonly SagaStatus[];
  readonly correlationId?: string;
  readonly correlationIdPrefix?: string;
  readonly definitionVersion?: number;
  /** Conditions on the data, as text: `data.customerId = c-42`, `data.total > 100`. All must hold. */
  readonly where?: readonly string[];
  readonly createdAfter?: string | Date;
  readonly createdBefore?: string | Date;
  readonly updatedAfter?: string | Date;
  readonly updatedBefore?: string | Date;
  /** Only instances not updated for at least this long. */
  readonly staleForMs?: number;
}

export interface SearchPage extends SearchFilter {
  readonly order?: SortOrder;
  readonly limit?: number;
  readonly cursor?: string;
}

/** A page of matches and how many match in all (counted by the store, whatever the page). */
export interface SearchResult extends PageView<InstanceSummary> {
  readonly total: number;
}

function dateOf(name: string, value: string | Date | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  if (!Number.isFinite(date.getTime()) || (typeof value === 'string' && !/^\d{4}-\d{2}-\d{2}/.test(value))) {
    throw new InvalidFilterError(`${name} '${String(value).slice(0, 40)}' is not an ISO-8601 date`);
  }
  return date;
}

/**
 * The store's filter for a search; `InvalidFilterError` for a condition or date that does not parse.
 *
 * @example
 * storeFilter({ saga: 'order', where: ['data.total > 100'] }, Date.now());
 */
export function storeFilter(filter: SearchFilter, now: number): InstanceFilter {
  if ((filter.where?.length ?? 0) > FILTER_LIMITS.conditions) throw new InvalidFilterError(`at most ${FILTER_LIMITS.conditions} data conditions`);
  const updatedBefore = dateOf('updatedBefore', filter.updatedBefore);
  const stale = filter.staleForMs === undefined ? undefined : new Date(now - filter.staleForMs);
  return defined({
    sagaName: filter.saga,
    state: filter.state,
    status: filter.status?.length ? filter.status : undefined,
    correlationId: filter.correlationId,
    correlationIdPrefix: filter.correlationIdPrefix || undefined,
    definitionVersion: filter.definitionVersion,
    data: filter.where?.length ? filter.where.map(parseDataCondition) : undefined,
    createdAfter: dateOf('createdAfter', filter.createdAfter),
    createdBefore: dateOf('createdBefore', filter.createdBefore),
    updatedAfter: dateOf('updatedAfter', filter.updatedAfter),
    // Both a date and a staleness: the earlier bound is the one that holds.
    updatedBefore: updatedBefore && stale ? new Date(Math.min(updatedBefore.getTime(), stale.getTime())) : (updatedBefore ?? stale),
  }) as InstanceFilter;
}

/**
 * A page of instances matching a search, with the total.
 *
 * @example
 * const { items, total } = await searchInstances(ops, { saga: 'order', where: ['data.customerId = c-42'] });
 */
export async function searchInstances(ops: SagaOperations, search: SearchPage = {}): Promise<SearchResult> {
  const filter = storeFilter(search, ops.clock.now());
  const [page, total] = await Promise.all([
    ops.repository.list(defined({ ...filter, order: search.order, limit: search.limit, cursor: search.cursor })),
    ops.repository.countInstances(filter),
  ]);
  return { items: page.items.map(toSummary), nextCursor: page.nextCursor, total };
}
