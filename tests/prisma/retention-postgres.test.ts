/**
 * Retention on real PostgreSQL: purgers in two connection pools (as two worker hosts would be) run at
 * once, with writers finishing and updating instances meanwhile. Every old finished instance goes
 * exactly once, with all its history; nothing active, recent or written during the purge goes.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { PurgeResult, SagaRepository } from '../../src/repository/types.ts';
import { insertOf, makeHistory, makeInstance, updateOf } from '../helpers/records.ts';
import { useTestDatabase } from '../helpers/postgres.ts';

const db = useTestDatabase();
const DAY = 86_400_000;

async function seedFinished(repository: SagaRepository, count: number, ageMs: number, prefix: string): Promise<void> {
  const when = new Date(Date.now() - ageMs);
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async (_, j) => {
        const first = makeInstance({ sagaName: 'ret', correlationId: `${prefix}-${i + j}`, createdAt: when, updatedAt: when });
        await repository.commit(insertOf(first));
        const done = updateOf(first, { status: 'completed', state: 'Done', completedAt: when, updatedAt: when });
        await repository.commit({ ...done.commit, history: makeHistory(done.next, { at: when }) } as never);
      }),
    );
  }
}

describe('retention on PostgreSQL', () => {
  it('two concurrent purgers remove each old finished instance once, with its history, and nothing else', async () => {
    const a = await db.repository({ poolSize: 4, cache: false });
    const b = await db.repository({ poolSize: 4, cache: false });
    await seedFinished(a, 600, 40 * DAY, 'old');
    await seedFinished(a, 20, DAY, 'recent');
    const active = Array.from({ length: 20 }, (_, i) => makeInstance({ sagaName: 'ret', correlationId: `active-${i}`, createdAt: new Date(Date.now() - 90 * DAY), updatedAt: new Date(Date.now() - 90 * DAY) }));
    for (const instance of active) await a.commit(insertOf(instance));

    const finishedBefore = new Date(Date.now() - 30 * DAY);
    const purger = async (repository: SagaRepository) => {
      const batches: PurgeResult[] = [];
      for (;;) {
        const r = await repository.purgeFinished({ sagaName: 'ret', finishedBefore, limit: 25 });
        batches.push(r);
        if (r.instances === 0) return batches;
      }
    };
    // Writers keep the active instances busy while both purgers run.
    let writing = true;
    const writer = (async () => {
      let writes = 0;
      const current = [...active];
      while (writing) {
        const k = writes++ % current.length;
        const next = updateOf(current[k]!, { updatedAt: new Date(current[k]!.updatedAt.getTime() + 1) });
        await b.commit(next.commit);
        current[k] = next.next;
      }
      return writes;
    })();
    const [fromA, fromB] = await Promise.all([purger(a), purger(b)]);
    writing = false;
    expect(await writer).toBeGreaterThan(0);

    const removed = (batches: PurgeResult[]) => batches.reduce((n, r) => n + r.instances, 0);
    const history = (batches: PurgeResult[]) => batches.reduce((n, r) => n + r.history, 0);
    // Each removed once: the two add up to exactly the old ones, with two history rows each.
    expect(removed(fromA) + removed(fromB)).toBe(600);
    expect(history(fromA) + history(fromB)).toBe(1200);
    expect(removed(fromA)).toBeGreaterThan(0);
    expect(removed(fromB)).toBeGreaterThan(0);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const left = await client.query<{ prefix: string; n: string }>(
        `SELECT split_part(correlation_id, '-', 1) AS prefix, count(*) AS n FROM sagaflow_instances WHERE saga_name = 'ret' GROUP BY 1 ORDER BY 1`,
      );
      expect(left.rows.map((r) => [r.prefix, Number(r.n)])).toEqual([['active', 20], ['recent', 20]]);
      const orphans = await client.query<{ n: string }>(`SELECT count(*) AS n FROM sagaflow_history h WHERE NOT EXISTS (SELECT 1 FROM sagaflow_instances i WHERE i.id = h.instance_id)`);
      expect(Number(orphans.rows[0]!.n)).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('leaves an instance a writer holds locked for a later batch instead of waiting for it', async () => {
    const repository = await db.repository({ poolSize: 2, cache: false });
    await seedFinished(repository, 3, 40 * DAY, 'held');
    const held = (await repository.findByCorrelation('ret', 'held-0', { fresh: true }))!;
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM sagaflow_instances WHERE id = $1::uuid FOR UPDATE', [held.id]);
      const first = await repository.purgeFinished({ sagaName: 'ret', finishedBefore: new Date(Date.now() - 30 * DAY), limit: 10 });
      expect(first.instances).toBe(2);
      await client.query('COMMIT');
      const second = await repository.purgeFinished({ sagaName: 'ret', finishedBefore: new Date(Date.now() - 30 * DAY), limit: 10 });
      expect(second).toEqual({ instances: 1, history: 2 });
    } finally {
      await client.end();
    }
  });
});
