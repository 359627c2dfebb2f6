/**
 * Failures that may pass, provoked on a real PostgreSQL server: a terminated backend, a deadlock, a
 * serialization failure. Whatever the client (`via`), the repository reports them as `TransientStoreError`
 * and never as the driver's own error, and it keeps working afterwards.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransientStoreError } from '../../src/errors/transient-store-error.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { outboxJson } from '../../src/prisma/outbox-sql.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { insertOf, makeInstance, makeOutboxEntry, updateOf, withOutbox } from '../helpers/records.ts';

const VIAS = ['adapter', 'client', 'pg'] as const;

let db: TestDatabase;
/** A database whose sessions run REPEATABLE READ, where a concurrent update is a serialization failure. */
let repeatable: TestDatabase;
const open: Array<{ end(): Promise<unknown> } | PrismaSagaRepository> = [];

beforeAll(async () => {
  [db, repeatable] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await withClient(db.url, (c) => c.query(`ALTER DATABASE ${repeatable.name} SET default_transaction_isolation = 'repeatable read'`));
});
afterEach(async () => {
  // Every repository and connection a test opened is closed, even when the test failed.
  await Promise.all(open.splice(0).map((o) => ('close' in o ? o.close() : o.end()).catch(() => {})));
});
afterAll(async () => {
  await Promise.all([db?.drop(), repeatable?.drop()]);
});

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(url);
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  open.push(client);
  return client;
}

async function repository(url: string, via: (typeof VIAS)[number], poolSize = 2): Promise<PrismaSagaRepository> {
  const repo = await createPrismaRepository({ databaseUrl: url, via, poolSize, cache: false });
  open.push(repo);
  return repo;
}

/** Waits until a session of `database` other than `except` waits for a lock, and returns its pid. */
async function lockWaiter(watcher: pg.Client, database: string, except: number[] = []): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const { rows } = await watcher.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND NOT (pid = ANY($2::int[]))`,
      [database, except],
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no session waited for a lock');
}

function backendPid(client: pg.Client): Promise<number> {
  return client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').then((r) => r.rows[0]!.pid);
}

describe.each(VIAS)('transient failures via %s', (via) => {
  it('recovers from backends terminated while idle: the next call succeeds, or fails as TransientStoreError', async () => {
    const repo = await repository(db.url, via);
    const admin = await connect(db.url);
    const v1 = makeInstance();
    await repo.commit(insertOf(v1));
    for (let round = 0; round < 3; round++) {
      await repo.findById(v1.id); // the pool holds a connection now
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [db.name],
      );
      // The pool may not have noticed yet: the first call may take the dead connection.
      const first = await repo.findById(v1.id).then(
        (found) => found,
        (error: unknown) => error,
      );
      if (first instanceof Error) expect(first).toBeInstanceOf(TransientStoreError);
      else expect(first).toEqual(v1);
      expect(await repo.findById(v1.id)).toEqual(v1);
    }
  });

  it('reports a backend terminated during a commit as TransientStoreError, and carries on', async () => {
    const repo = await repository(db.url, via);
    const [holder, admin] = await Promise.all([connect(db.url), connect(db.url)]);
    const v1 = makeInstance();
    await repo.commit(insertOf(v1));
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM sagaflow_instances WHERE id = $1 FOR UPDATE', [v1.id]);
    const { commit, next } = updateOf(v1, { state: 'B' });
    const pending = repo.commit(commit).catch((error: unknown) => error);
    const pid = await lockWaiter(admin, db.name);
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const error = await pending;
    expect(error).toBeInstanceOf(TransientStoreError);
    await holder.query('ROLLBACK');
    // Nothing applied, so the retry (what the orchestrator does with a transient failure) applies.
    await repo.commit(commit);
    expect(await repo.findById(v1.id)).toEqual(next);
  });

  it('reports a deadlock as TransientStoreError (40P01); the write did not apply', async () => {
    const repo = await repository(db.url, via);
    const [other, admin] = await Promise.all([connect(db.url), connect(db.url)]);
    const v1 = makeInstance();
    await repo.commit(insertOf(v1));
    // The other transaction stages outbox entry X; the commit updates the instance, then waits to store X
    // too; the other transaction then waits for the instance: a cycle. Its longer deadlock_timeout makes
    // the commit's session the one that detects it and is cancelled.
    const entry = makeOutboxEntry();
    await other.query(`SET deadlock_timeout = '20s'`);
    await other.query('BEGIN');
    await other.query(
      `INSERT INTO sagaflow_outbox (id, message_id, message_type, envelope, available_at, created_at)
       SELECT e.id, 'm', 't', e.envelope, e.available_at, now()
       FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, envelope jsonb, available_at timestamptz)`,
      [outboxJson([entry])],
    );
    const { commit } = updateOf(v1, { state: 'B' });
    const pending = repo.commit(withOutbox(commit, [entry])).catch((error: unknown) => error);
    await lockWaiter(admin, db.name, [await backendPid(other)]);
    const otherUpdate = other.query(`UPDATE sagaflow_instances SET state = 'Other' WHERE id = $1`, [v1.id]);
    const error = await pending;
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as TransientStoreError).reason).toBe('40P01');
    await otherUpdate;
    await other.query('ROLLBACK');
    expect(await repo.findById(v1.id)).toEqual(v1);
  });

  it('reports a serialization failure as TransientStoreError (40001)', async () => {
    const repo = await repository(repeatable.url, via);
    const [other, admin] = await Promise.all([connect(repeatable.url), connect(repeatable.url)]);
    const v1 = makeInstance();
    await repo.commit(insertOf(v1));
    await other.query('BEGIN');
    await other.query(`UPDATE sagaflow_instances SET state = 'Other' WHERE id = $1`, [v1.id]);
    const pending = repo.commit(updateOf(v1, { state: 'B' }).commit).catch((error: unknown) => error);
    await lockWaiter(admin, repeatable.name);
    await other.query('COMMIT');
    const error = await pending;
    expect(error).toBeInstanceOf(TransientStoreError);
    expect((error as TransientStoreError).reason).toBe('40001');
    expect((await repo.findById(v1.id))!.state).toBe('Other');
  });

  it('sends each commit of a batch that hit a serialization failure again alone, so they apply', async () => {
    const repo = await repository(repeatable.url, via, 4);
    const [other, admin] = await Promise.all([connect(repeatable.url), connect(repeatable.url)]);
    const a = makeInstance();
    const b = makeInstance();
    await repo.commit(insertOf(a));
    await repo.commit(insertOf(b));
    await other.query('BEGIN');
    await other.query(`UPDATE sagaflow_instances SET data = '{"touched":true}' WHERE id = $1`, [a.id]);
    // The first commit goes alone and returns at once; the two queued behind it form one batch, which
    // waits for the lock and then fails as a whole with 40001.
    const opener = repo.commit(insertOf(makeInstance()));
    const updateA = updateOf(a, { state: 'A2' });
    const updateB = updateOf(b, { state: 'B2' });
    const batch = Promise.allSettled([repo.commit(updateA.commit), repo.commit(updateB.commit)]);
    await opener;
    await lockWaiter(admin, repeatable.name);
    await other.query('COMMIT');
    // Rolled back whole, the batch went again one commit at a time, each in a snapshot of its own.
    expect((await batch).map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(await repo.findById(a.id)).toEqual(updateA.next);
    expect(await repo.findById(b.id)).toEqual(updateB.next);
  });
});
