/**
 * @module prisma/commit-writer
 *
 * The write side of the Prisma repository: each commit as one statement, alone or with others as one
 * group-commit statement, and, for the commits that did not apply, whether a duplicate message or a
 * version conflict was the reason.
 */
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { DuplicateMessageError } from '../errors/duplicate-message-error.ts';
import { TransientStoreError } from '../errors/transient-store-error.ts';
import { UnstorableValueError } from '../errors/unstorable-value-error.ts';
import type { SagaCommit } from '../repository/types.ts';
import type { SqlRunner } from './client-types.ts';
import { PgErrorCode, sqlState } from './pg-error.ts';
import {
  batchParam,
  cancelParam,
  historyParams,
  iso,
  joinsJson,
  mutableParams,
  schedulesJson,
  sentJson,
  type PreparedCommit,
} from './row-mapping.ts';
import type { Pending } from './smart-batcher.ts';
import * as SQL from './sql.ts';

/** Failures after which PostgreSQL rolled the statement back: data errors, constraint violations, deadlock. */
const ROLLED_BACK_CLASSES = new Set(['22', '23', '40']);

/**
 * @example
 * const writer = new CommitWriter(sql);
 * await writer.write({ commit, dataJson: toJson(commit.instance.data), outboxJson: outboxJson(commit.outbox) });
 */
export class CommitWriter {
  readonly #sql: SqlRunner;

  /** `write` sends each commit as its own statement; batches come from `GroupLane` through `flush`. */
  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  /**
   * Applies the commit, or throws `ConcurrencyError` / `DuplicateMessageError` when it did not apply,
   * `TransientStoreError` when the outcome is unknown.
   */
  write(prepared: PreparedCommit<SagaCommit>): Promise<void> {
    return this.#writeOne(prepared);
  }

  /** One commit, one statement (`INSERT_COMMIT`, `UPDATE_COMMIT` or `DELETE_COMMIT`). */
  async #writeOne({ commit, dataJson, outboxJson }: PreparedCommit<SagaCommit>): Promise<void> {
    const { instance } = commit;
    let written: number;
    try {
      switch (commit.kind) {
        case 'insert':
          written = await this.#sql.execute(SQL.INSERT_COMMIT, [
            instance.id,
            instance.sagaName,
            instance.correlationId,
            ...mutableParams(instance, dataJson),
            iso(instance.createdAt),
            ...historyParams(commit.history),
            outboxJson,
            schedulesJson(instance),
            sentJson(commit.history),
            joinsJson(instance),
          ]);
          break;
        case 'update':
          written = await this.#sql.execute(SQL.UPDATE_COMMIT, [
            instance.id,
            commit.expectedVersion,
            ...mutableParams(instance, dataJson),
            ...historyParams(commit.history),
            outboxJson,
            schedulesJson(instance),
            cancelParam(commit),
            sentJson(commit.history),
            joinsJson(instance),
          ]);
          break;
        case 'delete': {
          const [row] = await this.#sql.query<{ deleted: number | bigint }>(SQL.DELETE_COMMIT, [
            instance.id,
            commit.expectedVersion,
            outboxJson,
            cancelParam(commit),
          ]);
          written = Number(row?.deleted ?? 0);
          break;
        }
      }
    } catch (error) {
      // A history row that already exists means another writer produced this version first.
      if (sqlState(error) !== PgErrorCode.UniqueViolation) throw error;
      written = 0;
    }
    if (written === 0) throw (await this.#refusals([commit]))[0];
  }

  /**
   * Sends a batch of inserts and updates as one `BATCH_COMMIT` (a batch of one as the cheaper single
   * statement) and settles each commit by whether it applied. Public for `GroupLane`, which sends the
   * batches of a repository whose lookups travel with its commits.
   */
  async flush(batch: readonly Pending<PreparedCommit, void>[]): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0]!;
      return this.#writeOne(only.item).then(only.resolve, only.reject);
    }
    let applied: Set<number>;
    try {
      const rows = await this.#sql.query<{ ord: number | bigint }>(SQL.BATCH_COMMIT, [batchParam(batch.map((p) => p.item))]);
      applied = new Set(rows.map((r) => Number(r.ord)));
    } catch (error) {
      // PostgreSQL rolled the whole statement back, so nothing of it applied: one commit with bad data
      // (or a deadlock with another process's batch) must not fail the others. Each goes again alone.
      if (!rolledBack(error)) throw error;
      return this.retryAlone(batch);
    }
    return this.settle(batch, applied);
  }

  /** After a batch statement that PostgreSQL rolled back: each commit again, as its own statement. */
  async retryAlone(batch: readonly Pending<PreparedCommit, void>[]): Promise<void> {
    await Promise.all(batch.map((p) => this.#writeOne(p.item).then(p.resolve, p.reject)));
  }

  /** Settles each commit of a batch statement that returned: `applied` holds the 1-based `ord`s that applied. */
  async settle(batch: readonly Pending<PreparedCommit, void>[], applied: ReadonlySet<number>): Promise<void> {
    const refused: Pending<PreparedCommit, void>[] = [];
    batch.forEach((p, k) => (applied.has(k + 1) ? p.resolve() : refused.push(p)));
    if (refused.length === 0) return;
    const errors = await this.#refusals(refused.map((p) => p.item.commit));
    refused.forEach((p, k) => p.reject(errors[k]));
  }

  /**
   * Why each of these commits did not apply: `DuplicateMessageError` where the instance already holds the
   * message in its history (whether that or the version check stopped the write), else `ConcurrencyError`.
   * One statement for all of them, sent only on this rare path.
   */
  async #refusals(commits: readonly SagaCommit[]): Promise<Error[]> {
    const asked = commits.filter((c) => c.kind !== 'delete');
    const duplicates = new Set<SagaCommit>();
    if (asked.length > 0) {
      const rows = await this.#sql.query<{ ord: number | bigint }>(SQL.DUPLICATES, [
        asked.map((c) => c.instance.sagaName),
        asked.map((c) => c.instance.correlationId),
        asked.map((c) => c.history.messageId),
      ]);
      for (const { ord } of rows) duplicates.add(asked[Number(ord) - 1]!);
    }
    return commits.map((c) =>
      c.kind !== 'delete' && duplicates.has(c)
        ? new DuplicateMessageError(c.instance.sagaName, c.instance.correlationId, c.history.messageId)
        : conflict(c),
    );
  }
}

/** Whether the statement certainly applied nothing; a deadlock, a serialization failure or a refused value arrives translated. */
export function rolledBack(error: unknown): boolean {
  const state = sqlState(error instanceof TransientStoreError || error instanceof UnstorableValueError ? error.cause : error);
  return ROLLED_BACK_CLASSES.has(state?.slice(0, 2) ?? '');
}

function conflict(commit: SagaCommit): ConcurrencyError {
  const { instance } = commit;
  if (commit.kind === 'insert') {
    return new ConcurrencyError(instance.sagaName, instance.correlationId, 0, 'the instance already exists');
  }
  return new ConcurrencyError(
    instance.sagaName,
    instance.correlationId,
    commit.expectedVersion,
    'stored version differs or the instance is gone',
  );
}
