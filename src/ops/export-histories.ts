/**
 * @module ops/export-histories
 *
 * `sagaflow export`: a saga's instances with their journals, one history line each
 * (`replay/history-line`), for `sagaflow replay` to run through a new definition. Reads through the
 * repository port only, a page of instances at a time, so it works on any store and an export of many
 * instances never holds more than one page in memory.
 */
import { toHistoryLine, type HistoryLine } from '../replay/history-line.ts';
import type { SagaRepository, SagaStatus } from '../repository/types.ts';

export interface ExportFilter {
  readonly saga: string;
  /** Only instances in this state. */
  readonly state?: string;
  readonly status?: readonly SagaStatus[];
  /** At most this many instances, most recently updated first. Default: all. */
  readonly limit?: number;
}

const PAGE = 200;

/**
 * @example
 * for await (const line of exportHistories(repository, { saga: 'order', limit: 1000 })) out.write(JSON.stringify(line) + '\n');
 */
export async function* exportHistories(repository: SagaRepository, filter: ExportFilter): AsyncGenerator<HistoryLine> {
  let left = filter.limit ?? Number.POSITIVE_INFINITY;
  let cursor: string | undefined;
  while (left > 0) {
    const page = await repository.list({
      sagaName: filter.saga,
      ...(filter.state !== undefined && { state: filter.state }),
      ...(filter.status !== undefined && { status: filter.status }),
      order: 'desc',
      limit: Math.min(PAGE, left),
      ...(cursor !== undefined && { cursor }),
    });
    for (const record of page.items) {
      yield toHistoryLine(record, await repository.history(record.id));
      left--;
    }
    if (page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
}
