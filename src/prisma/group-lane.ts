/**
 * @module prisma/group-lane
 *
 * Group commit with the lookups folded in: `findByCorrelation`s and commits wait in ONE queue, and each
 * flush sends everything that waited as one statement: `BATCH_COMMIT_AND_FIND` when there are both,
 * `BATCH_COMMIT` or `FIND_BY_CORRELATION_BATCH` when there is one kind. An event to an instance that is
 * not in the cache needs a read and then a write; in separate lanes each went out in a statement of its
 * own, and every statement costs a round trip, a transaction and a share of the server's and the
 * client's fixed work per statement, whatever it carries. One lane halves the statements per event.
 *
 * Each request still succeeds or fails on its own. When PostgreSQL rolls a mixed statement back for one
 * commit's data (or a deadlock), the lookups go again as a batch of their own and each commit alone, as
 * `CommitWriter.flush` does for a batch of commits; any other failure rejects every request of the batch.
 */
import type { SagaInstanceRecord } from '../repository/types.ts';
import type { SqlRunner } from './client-types.ts';
import { rolledBack, type CommitWriter } from './commit-writer.ts';
import { batchParam, jsonToInstance, rowToInstance, type InstanceJson, type InstanceRow, type PreparedCommit } from './row-mapping.ts';
import { SmartBatcher, type Pending } from './smart-batcher.ts';
import * as SQL from './sql.ts';

type Lookup = readonly [sagaName: string, correlationId: string];

type Request = { readonly find: Lookup; readonly commit?: undefined } | { readonly find?: undefined; readonly commit: PreparedCommit };

type Answer = SagaInstanceRecord | null | undefined;

/**
 * @example
 * const lane = new GroupLane(sql, new CommitWriter(sql), 128);
 * const record = await lane.find('order', 'o-1');
 * await lane.commit(prepared);
 */
export class GroupLane {
  readonly #sql: SqlRunner;
  readonly #writer: CommitWriter;
  readonly #batcher: SmartBatcher<Request, Answer>;

  constructor(sql: SqlRunner, writer: CommitWriter, maxBatch: number) {
    this.#sql = sql;
    this.#writer = writer;
    this.#batcher = new SmartBatcher({ maxBatch, flush: (batch) => this.#flush(batch) });
  }

  find(sagaName: string, correlationId: string): Promise<SagaInstanceRecord | null> {
    return this.#batcher.submit({ find: [sagaName, correlationId] }) as Promise<SagaInstanceRecord | null>;
  }

  /** An insert or update (a delete goes alone, through the writer). */
  commit(prepared: PreparedCommit): Promise<void> {
    return this.#batcher.submit({ commit: prepared }) as Promise<void>;
  }

  async #flush(batch: readonly Pending<Request, Answer>[]): Promise<void> {
    const finds: Pending<Lookup, Answer>[] = [];
    const commits: Pending<PreparedCommit, void>[] = [];
    for (const p of batch) {
      if (p.item.find) finds.push({ item: p.item.find, resolve: p.resolve, reject: p.reject });
      else commits.push({ item: p.item.commit, resolve: () => p.resolve(undefined), reject: p.reject });
    }
    if (finds.length === 0) return this.#writer.flush(commits);
    if (commits.length === 0) return this.#lookups(finds);
    let answer: { applied: string; found: string } | undefined;
    try {
      [answer] = await this.#sql.query<{ applied: string; found: string }>(SQL.BATCH_COMMIT_AND_FIND, [
        batchParam(commits.map((p) => p.item)),
        finds.map((p) => p.item[0]),
        finds.map((p) => p.item[1]),
      ]);
    } catch (error) {
      if (!rolledBack(error)) throw error;
      await Promise.all([this.#lookups(finds).catch((e: unknown) => finds.forEach((p) => p.reject(e))), this.#writer.retryAlone(commits)]);
      return;
    }
    resolveFound(finds, answer?.found);
    await this.#writer.settle(commits, new Set(JSON.parse(answer?.applied ?? '[]') as number[]));
  }

  /** Lookups alone: one statement (a batch of one as the simpler one). */
  async #lookups(finds: readonly Pending<Lookup, Answer>[]): Promise<void> {
    if (finds.length === 1) {
      const rows = await this.#sql.query<InstanceRow>(SQL.FIND_BY_CORRELATION, finds[0]!.item);
      finds[0]!.resolve(rows[0] ? rowToInstance(rows[0]) : null);
      return;
    }
    const [answer] = await this.#sql.query<{ found: string }>(SQL.FIND_BY_CORRELATION_BATCH, [
      finds.map((p) => p.item[0]),
      finds.map((p) => p.item[1]),
    ]);
    resolveFound(finds, answer?.found);
  }
}

/** `found` is `[[ord, row], …]`; a lookup without a row found nothing. */
function resolveFound(finds: readonly Pending<Lookup, Answer>[], found: string | undefined): void {
  for (const [ord, row] of JSON.parse(found ?? '[]') as [number, InstanceJson][]) finds[ord - 1]!.resolve(jsonToInstance(row));
  for (const p of finds) p.resolve(null); // a promise settles once
}
