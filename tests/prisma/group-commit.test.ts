import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../src/errors/concurrency-error.ts';
import { DuplicateMessageError } from '../../src/errors/duplicate-message-error.ts';
import { TransientStoreError } from '../../src/errors/transient-store-error.ts';
import { PrismaSagaRepository, pgPoolClient, type SagaflowPrismaClient } from '../../src/prisma/index.ts';
import { BATCH_COMMIT, BATCH_COMMIT_AND_FIND, DUPLICATES, FIND_BY_CORRELATION_BATCH } from '../../src/prisma/sql.ts';
import type { SagaCommit } from '../../src/repository/types.ts';
import { createTestDatabase, truncateSagaTables, type TestDatabase } from '../helpers/postgres.ts';
import { insertOf, makeInstance, makeOutboxEntry, updateOf, withMessageId, withOutbox } from '../helpers/records.ts';

/** A client that records every statement it sends, and can be told to fail the next batch. */
function recording(inner: SagaflowPrismaClient) {
  const sent: { sql: string; values: unknown[] }[] = [];
  let failNextBatch: Error | undefined;
  const client: SagaflowPrismaClient = {
    $queryRawUnsafe<T>(sql: string, ...values: unknown[]) {
      sent.push({ sql, values });
      if ((sql === BATCH_COMMIT || sql === BATCH_COMMIT_AND_FIND) && failNextBatch) {
        const error = failNextBatch;
        failNextBatch = undefined;
        return Promise.reject(error);
      }
      return inner.$queryRawUnsafe<T>(sql, ...values);
    },
    $executeRawUnsafe(sql: string, ...values: unknown[]) {
      sent.push({ sql, values });
      return inner.$executeRawUnsafe(sql, ...values);
    },
  };
  const batches = () =>
    sent.filter((s) => s.sql === BATCH_COMMIT || s.sql === BATCH_COMMIT_AND_FIND).map((s) => JSON.parse(s.values[0] as string) as unknown[]);
  return { client, sent, batches, failNextBatch: (error: Error) => void (failNextBatch = error) };
}

function settle(promises: Promise<void>[]) {
  return Promise.allSettled(promises).then((results) =>
    results.map((r) =>
      r.status === 'fulfilled'
        ? 'ok'
        : r.reason instanceof ConcurrencyError
          ? 'conflict'
          : r.reason instanceof DuplicateMessageError
            ? 'duplicate'
            : r.reason,
    ),
  );
}

describe('group commit on PostgreSQL', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let rec: ReturnType<typeof recording>;
  let repo: PrismaSagaRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    // The database is dropped at the end, possibly before an ended connection's socket closed: its
    // termination notice would otherwise be an unhandled 'error' event (CI saw it once).
    pool.on('error', () => {});
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  beforeEach(async () => {
    await truncateSagaTables(db.url);
    rec = recording(pgPoolClient(pool));
    repo = new PrismaSagaRepository(rec.client);
    await repo.ready();
  });

  /** Commits `commits` in one batch: a first commit occupies the batcher, the rest queue behind it. */
  async function inOneBatch(commits: SagaCommit[], batched = commits.length) {
    // After a batch the repository waits one event-loop turn for more requests; let that turn pass
    // (two turns: the repository may schedule its own after this test's continuation).
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    const opener = repo.commit(insertOf(makeInstance()));
    const outcomes = settle(commits.map((c) => repo.commit(c)));
    await opener;
    const result = await outcomes;
    expect(rec.batches().at(-1)).toHaveLength(batched);
    return result;
  }

  it('lets exactly one of two commits for the same instance version in one batch win, and writes only its history', async () => {
    const v1 = makeInstance();
    await repo.commit(insertOf(v1));
    const a = updateOf(v1, { state: 'A' });
    const b = updateOf(v1, { state: 'B' });
    const outcomes = await inOneBatch([a.commit, b.commit]);
    expect([...outcomes].sort()).toEqual(['conflict', 'ok']);
    const winner = outcomes[0] === 'ok' ? a.next : b.next;
    expect(await repo.findById(v1.id)).toEqual(winner);
    expect((await repo.history(v1.id)).map((h) => [h.sequence, h.stateAfter])).toEqual([
      [1, v1.state],
      [2, winner.state],
    ]);
  });

  it('applies mixed inserts and updates in one batch, each on its own version check', async () => {
    const existing = makeInstance();
    await repo.commit(insertOf(existing));
    const fresh = makeInstance();
    const twin = makeInstance({ correlationId: fresh.correlationId, state: 'Twin' });
    const good = updateOf(existing, { state: 'Paid' });
    const stale = updateOf({ ...existing, version: 7 }, { state: 'Stale' });
    const outcomes = await inOneBatch([insertOf(fresh), good.commit, insertOf(twin), stale.commit]);
    expect(outcomes).toEqual(['ok', 'ok', 'conflict', 'conflict']);
    expect(await repo.findById(existing.id)).toEqual(good.next);
    expect(await repo.findByCorrelation('order', fresh.correlationId)).toEqual(fresh);
    expect(await repo.findById(twin.id)).toBeNull();
    expect((await repo.history(existing.id)).map((h) => h.sequence)).toEqual([1, 2]);
    expect(await repo.history(fresh.id)).toHaveLength(1);
  });

  it('refuses redelivered messages in a batch as duplicates and stores the outbox of exactly the commits that applied', async () => {
    const a = makeInstance();
    const b = makeInstance();
    const created = insertOf(a);
    await repo.commit(created);
    await repo.commit(insertOf(b));
    const applied = updateOf(a, { state: 'A2' });
    await repo.commit(applied.commit);
    const appliedId = applied.commit.kind === 'update' ? applied.commit.history.messageId : '';
    const before = await repo.outboxSize();
    const fresh = makeInstance();
    const outcomes = await inOneBatch([
      // At the current version, stopped by the inbox alone.
      withOutbox(withMessageId(updateOf(applied.next).commit, appliedId), [makeOutboxEntry()]),
      withOutbox(updateOf(b, { state: 'B2' }).commit, [makeOutboxEntry(), makeOutboxEntry()]),
      withOutbox(insertOf(fresh), [makeOutboxEntry()]),
      // Stale and a redelivery of the creating message: a duplicate, not a conflict.
      withOutbox(withMessageId(updateOf(a).commit, created.kind === 'insert' ? created.history.messageId : ''), [makeOutboxEntry()]),
      withOutbox(updateOf(a, { state: 'Stale' }).commit, [makeOutboxEntry()]),
    ]);
    expect(outcomes).toEqual(['duplicate', 'ok', 'ok', 'duplicate', 'conflict']);
    expect(await repo.outboxSize()).toBe(before + 3);
    expect(await repo.findById(a.id)).toEqual(applied.next);
    expect((await repo.history(a.id)).map((h) => h.sequence)).toEqual([1, 2]);
    // One extra statement told the duplicates from the conflicts, for the whole batch.
    expect(rec.sent.filter((s) => s.sql === DUPLICATES)).toHaveLength(1);
  });

  it('stores schedules and deletes cancelled outbox rows for exactly the commits of a batch that applied', async () => {
    const a = makeInstance();
    const b = makeInstance();
    await repo.commit(insertOf(a));
    await repo.commit(insertOf(b));
    const [ka, kb] = [makeOutboxEntry(), makeOutboxEntry()];
    await repo.stageOutbox([ka!, kb!]);
    const pending = [{ key: 'Remind', token: ka!.id, type: 'Remind', dueAt: new Date(Date.UTC(2030, 0, 1)) }];
    const outcomes = await inOneBatch([
      { ...updateOf(a, { schedules: pending }).commit, cancelOutbox: [ka!.id] },
      { ...updateOf(b, { state: 'Stale' }).commit, expectedVersion: 7, cancelOutbox: [kb!.id] } as SagaCommit,
    ]);
    expect(outcomes).toEqual(['ok', 'conflict']);
    expect(rec.batches()).toHaveLength(1);
    expect((await repo.findById(a.id))!.schedules).toEqual(pending);
    const left = await repo.claimOutbox({ limit: 100, now: new Date(Date.UTC(2100, 0, 1)), leaseUntil: new Date(Date.UTC(2100, 0, 2)) });
    expect(left.map((m) => m.id)).toContain(kb!.id);
    expect(left.map((m) => m.id)).not.toContain(ka!.id);
  });

  it('refuses the commit with data PostgreSQL cannot hold before its batch, and applies the rest of the batch', async () => {
    const ok1 = makeInstance();
    const poison = makeInstance({ data: { text: 'NUL \u0000 is not allowed in jsonb' } });
    const ok2 = makeInstance();
    // The storable check refuses the poison before any SQL, so the batch holds the other two.
    const outcomes = await inOneBatch([insertOf(ok1), insertOf(poison), insertOf(ok2)], 2);
    expect(outcomes[0]).toBe('ok');
    expect(outcomes[2]).toBe('ok');
    expect(outcomes[1]).toMatchObject({ code: 'SAGA_VALUE_UNSTORABLE' });
    expect(await repo.findById(ok1.id)).toEqual(ok1);
    expect(await repo.findById(ok2.id)).toEqual(ok2);
    expect(await repo.findById(poison.id)).toBeNull();
  });

  it('rejects every commit of a batch whose connection was lost as transient, applies none, and carries on', async () => {
    const v1 = makeInstance();
    await repo.commit(insertOf(v1));
    const lost = new Error('Connection terminated unexpectedly');
    rec.failNextBatch(lost);
    const a = makeInstance();
    const b = updateOf(v1, { state: 'B' });
    const outcomes = await inOneBatch([insertOf(a), b.commit]);
    // The outcome is unknown to the caller, so it is a TransientStoreError (with the driver's error as
    // its cause), which the orchestrator retries; here nothing applied.
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(TransientStoreError);
      expect((outcome as TransientStoreError).cause).toBe(lost);
    }
    expect(await repo.findById(a.id)).toBeNull();
    expect(await repo.findById(v1.id)).toEqual(v1);
    // Nothing is retried behind the caller's back, and the repository keeps working.
    await repo.commit(b.commit);
    expect((await repo.findById(v1.id))!.version).toBe(2);
  });

  it('answers a batch of lookups exactly as single lookups do', async () => {
    const instances = [
      makeInstance({ data: { s: 'ünïcødé ✓', big: 2 ** 40, n: 1.5, z: null, list: [1, 'two', { three: [3] }] } }),
      makeInstance({
        status: 'compensation_failed',
        compensation: [{ name: 'refund', args: { transactionId: 'tx-1', amount: 10 }, attempts: 2 }],
        error: { code: 'X', message: 'boom', step: 'refund', at: new Date('2025-01-01T00:00:00.123Z') },
        completedAt: new Date('2025-02-03T04:05:06.789Z'),
        dataVersion: 3,
      }),
      makeInstance({ data: null }),
    ];
    for (const i of instances) await repo.commit(insertOf(i));
    const keys = [...instances.map((i) => i.correlationId), 'missing'];
    const singles = [];
    for (const k of keys) singles.push(await repo.findByCorrelation('order', k));
    const before = rec.sent.length;
    const batched = await Promise.all(keys.map((k) => repo.findByCorrelation('order', k)));
    expect(rec.sent.slice(before).some((s) => s.sql === FIND_BY_CORRELATION_BATCH)).toBe(true);
    expect(batched).toEqual(singles);
    expect(batched).toEqual([...instances, null]);
  });

  it('sends a commit alone, as the single statement, when nothing is in flight', async () => {
    const v1 = makeInstance();
    await repo.commit(insertOf(v1));
    await repo.commit(updateOf(v1).commit);
    expect(rec.batches()).toHaveLength(0);
  });

  /** Lookups and commits queued behind one commit in flight, so that they leave together. */
  async function mixedBatch(commits: SagaCommit[], correlationIds: string[]) {
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    const opener = repo.commit(insertOf(makeInstance()));
    const committed = settle(commits.map((c) => repo.commit(c)));
    const found = Promise.all(correlationIds.map((k) => repo.findByCorrelation('order', k)));
    await opener;
    return { committed: await committed, found: await found };
  }

  it('sends the lookups waiting beside commits in the same statement, and answers each on its own', async () => {
    const a = makeInstance();
    const b = makeInstance({ data: { note: 'ünïcødé ✓', n: [1, { two: 2 }] } });
    const stale = makeInstance();
    for (const i of [a, b, stale]) await repo.commit(insertOf(i));
    await repo.commit(updateOf(stale).commit);
    const before = rec.sent.length;
    const { committed, found } = await mixedBatch(
      [updateOf(a, { state: 'Next' }).commit, updateOf(stale).commit, insertOf(makeInstance())],
      [b.correlationId, 'missing'],
    );
    const statements = rec.sent.slice(before).map((s) => s.sql);
    expect(statements.filter((sql) => sql === BATCH_COMMIT_AND_FIND)).toHaveLength(1);
    expect(statements).not.toContain(FIND_BY_CORRELATION_BATCH);
    expect(committed).toEqual(['ok', 'conflict', 'ok']);
    expect(found).toEqual([b, null]);
    expect((await repo.findById(a.id))!.state).toBe('Next');
  });

  it('answers the lookups and applies each commit alone when PostgreSQL rolls a mixed batch back', async () => {
    const a = makeInstance();
    const b = makeInstance();
    for (const i of [a, b]) await repo.commit(insertOf(i));
    rec.failNextBatch(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
    const created = makeInstance();
    const { committed, found } = await mixedBatch([updateOf(a, { state: 'Next' }).commit, insertOf(created)], [b.correlationId]);
    expect(rec.sent.filter((s) => s.sql === BATCH_COMMIT_AND_FIND)).toHaveLength(1); // the one that failed
    expect(committed).toEqual(['ok', 'ok']);
    expect(found).toEqual([b]);
    expect((await repo.findById(a.id))!.state).toBe('Next');
    expect(await repo.findById(created.id)).toEqual(created);
  });

  it('rejects the lookups and commits of a mixed batch whose connection was lost as transient', async () => {
    const a = makeInstance();
    await repo.commit(insertOf(a));
    rec.failNextBatch(new Error('Connection terminated unexpectedly'));
    const lookups = [a.correlationId];
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    const opener = repo.commit(insertOf(makeInstance()));
    const committed = settle([repo.commit(updateOf(a, { state: 'Next' }).commit)]);
    const found = Promise.allSettled(lookups.map((k) => repo.findByCorrelation('order', k)));
    await opener;
    expect((await committed)[0]).toBeInstanceOf(TransientStoreError);
    const [lookup] = await found;
    expect(rec.sent.filter((s) => s.sql === BATCH_COMMIT_AND_FIND)).toHaveLength(1);
    expect(lookup).toMatchObject({ status: 'rejected' });
    expect((lookup as PromiseRejectedResult).reason).toBeInstanceOf(TransientStoreError);
    expect(await repo.findById(a.id)).toEqual(a);
  });
});
