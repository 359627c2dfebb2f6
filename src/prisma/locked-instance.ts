/**
 * @module prisma/locked-instance
 *
 * `lockInstance` on PostgreSQL: a transaction on a connection of its own reads the instance's row
 * `FOR UPDATE` and keeps it locked until the commit has been written in that same transaction (or the
 * lock is released: ROLLBACK). Meanwhile another process's write of that row waits for the lock and then
 * fails its version check, and another `lockInstance` of it waits in PostgreSQL's queue for the row: so
 * contention turns into a queue, and the holder's own write never conflicts. Only the orchestrator's
 * retries after a conflict come here; the hot path keeps its single-statement, group-committed writes.
 */
import type { LockedInstance, SagaCommit, SagaInstanceRecord } from '../repository/types.ts';
import type { SagaflowPrismaClient, SqlRunner } from './client-types.ts';
import { CommitWriter } from './commit-writer.ts';
import type { PreparedCommit } from './row-mapping.ts';
import { rowToInstance, type InstanceRow } from './row-mapping.ts';
import * as SQL from './sql.ts';

/**
 * How long a lock may wait for a connection, and how long it may be held, when the client is a Prisma
 * client (whose interactive transactions default to 2 s and 5 s): a queue of waiters is the point here.
 */
const TRANSACTION_LIMITS = Object.freeze({ maxWait: 60_000, timeout: 120_000 });

/** Thrown inside the transaction to roll it back when the holder writes nothing. */
class Release extends Error {}

export interface LockHooks {
  /** Turns a driver error into Sagaflow's (`TransientStoreError`, …). */
  readonly translate: (error: unknown) => unknown;
  /** Prepares a commit's JSON parameters, as the repository's own `commit` does. */
  readonly prepare: (commit: SagaCommit) => PreparedCommit<SagaCommit>;
  /** After the commit applied, or failed. */
  readonly settled: (commit: SagaCommit, prepared: PreparedCommit<SagaCommit>, error: unknown) => void;
}

/** Locks the instance's row on a connection of its own; resolves once the lock is granted. */
export function lockInstance(
  client: Required<Pick<SagaflowPrismaClient, '$transaction'>>,
  hooks: LockHooks,
  sagaName: string,
  correlationId: string,
): Promise<LockedInstance> {
  return new Promise<LockedInstance>((granted, refused) => {
    let decide!: (prepared: PreparedCommit<SagaCommit> | null) => void;
    const decision = new Promise<PreparedCommit<SagaCommit> | null>((resolve) => (decide = resolve));
    let open = true;
    const transaction = Promise.resolve(
      client.$transaction(async (tx) => {
        const sql: SqlRunner = {
          query: async <T>(text: string, params: readonly unknown[]) => (await tx.$queryRawUnsafe<T[]>(text, ...params)) as T[],
          execute: async (text, params) => tx.$executeRawUnsafe(text, ...params),
        };
        const rows = await sql.query<InstanceRow>(SQL.FIND_BY_CORRELATION_FOR_UPDATE, [sagaName, correlationId]);
        const record: SagaInstanceRecord | null = rows[0] ? rowToInstance(rows[0]) : null;
        granted({ record, commit, release });
        const prepared = await decision;
        if (prepared === null) throw new Release();
        // A version or inbox refusal is thrown from here, and rolls the transaction back.
        await new CommitWriter(sql).write(prepared);
      }, TRANSACTION_LIMITS),
    );
    // Before the lock was granted, a failure refuses it; after, `commit` or `release` reports it.
    transaction.catch((error: unknown) => refused(hooks.translate(error)));

    async function commit(c: SagaCommit): Promise<void> {
      if (!open) throw new TypeError('this lock has ended: commit through the repository');
      open = false;
      let prepared: PreparedCommit<SagaCommit>;
      try {
        prepared = hooks.prepare(c);
      } catch (error) {
        // A commit refused before any SQL (an unstorable value) ends the lock without writing.
        decide(null);
        await transaction.catch(() => {});
        throw error;
      }
      decide(prepared);
      try {
        await transaction;
      } catch (error) {
        const translated = hooks.translate(error);
        hooks.settled(c, prepared, translated);
        throw translated;
      }
      hooks.settled(c, prepared, undefined);
    }

    async function release(): Promise<void> {
      if (!open) return;
      open = false;
      decide(null);
      await transaction.catch(() => {});
    }
  });
}
