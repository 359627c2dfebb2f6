/**
 * @module ops/repair/bulk-filter
 *
 * Which instances a bulk action takes: the same filter a search uses (`repository/instance-filter`), so an
 * operator can search first (`sagaflow search`, the dashboard's Search page) and then act on exactly what
 * the search showed, by data fields, versions, date ranges or a correlation-id prefix as well.
 */
import type { InstanceFilter } from '../../repository/instance-filter.ts';

export type BulkInstanceFilter = InstanceFilter;
