/**
 * @module ops/repair/bulk-filter
 *
 * Which instances a bulk action takes. THE one place the bulk actions get their filter type from: today
 * the fields the repository's `list` has always had (saga, state, status, correlation id). When the
 * repository port grows a richer `InstanceFilter` (data fields, versions, date ranges, correlation
 * prefixes), this alias becomes that type and every bulk action, route and command takes it unchanged.
 */
import type { InstanceQuery } from '../../repository/types.ts';

export type BulkInstanceFilter = Pick<InstanceQuery, 'sagaName' | 'state' | 'status' | 'correlationId'>;
