import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../src/errors/concurrency-error.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { insertOf, makeInstance, updateOf } from '../helpers/records.ts';

const RACERS = 32;

function tally(results: PromiseSettledResult<void>[]) {
  const won = results.filter((r) => r.status === 'fulfilled').length;
  const conflicts = results.filter((r) => r.status === 'rejected' && r.reason instanceof ConcurrencyError).length;
  const other = results.filter((r) => r.status === 'rejected' && !(r.reason instanceof ConcurrencyError));
  return { won, conflicts, other: other.map((r) => (r as PromiseRejectedResult).reason) };
}

function raceTests(make: () => PrismaSagaRepository) {
  it(`lets exactly one of ${RACERS} updates from the same read version win; the rest get ConcurrencyError`, async () => {
    const repo = make();
    for (let round = 0; round < 3; round++) {
      const v1 = makeInstance();
      await repo.commit(insertOf(v1));
      const attempts = Array.from({ length: RACERS }, (_, i) => updateOf(v1, { state: `Racer${i}` }));
      const results = await Promise.allSettled(attempts.map((a) => repo.commit(a.commit)));
      expect(tally(results)).toEqual({ won: 1, conflicts: RACERS - 1, other: [] });
      const winner = attempts[results.findIndex((r) => r.status === 'fulfilled')]!.next;
      expect(await repo.findById(v1.id)).toEqual(winner);
      const history = await repo.history(v1.id);
      expect(history.map((h) => [h.sequence, h.stateAfter])).toEqual([
        [1, v1.state],
        [2, winner.state],
      ]);
    }
  });

  it('keeps exactly one row when two inserts of the same (saga, correlation id) race', async () => {
    const repo = make();
    for (let round = 0; round < 5; round++) {
      const a = makeInstance({ correlationId: `race-${round}`, state: 'A' });
      const b = makeInstance({ correlationId: `race-${round}`, state: 'B' });
      const results = await Promise.allSettled([repo.commit(insertOf(a)), repo.commit(insertOf(b))]);
      expect(tally(results)).toEqual({ won: 1, conflicts: 1, other: [] });
      const list = await repo.list({ correlationId: `race-${round}` });
      expect(list.items).toHaveLength(1);
      expect(await repo.history(list.items[0]!.id)).toHaveLength(1);
    }
  });
}

for (const via of ['adapter', 'client', 'pg'] as const) {
  describe(`racing writers on PostgreSQL (via ${via})`, () => {
    let db: TestDatabase;
    let repo: PrismaSagaRepository;
    beforeAll(async () => {
      db = await createTestDatabase();
      // One connection per racer, so the races happen in PostgreSQL rather than in the pool queue.
      repo = await createPrismaRepository({ databaseUrl: db.url, poolSize: RACERS, via });
    });
    afterAll(async () => {
      await repo?.close();
      await db?.drop();
    });
    raceTests(() => repo);
  });
}

describe('racing writers on PGlite', () => {
  let repo: PrismaSagaRepository;
  beforeAll(async () => {
    repo = await createPrismaRepository({ directory: 'memory://' });
  });
  afterAll(() => repo?.close());
  raceTests(() => repo);
});

