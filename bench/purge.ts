/**
 * @module bench/purge
 *
 * `npx tsx bench/purge.ts [instances]`: retention batches on PostgreSQL over 1,000,000 instances (default),
 * a tenth of them finished with two history rows each, through `purgeFinished` (500 a batch, one
 * statement each), without and then with the partial index the migration `finished_instances_index` makes
 * (dropped for the first phase):
 *
 *   CREATE INDEX sagaflow_instances_finished_idx ON sagaflow_instances (completed_at) WHERE completed_at IS NOT NULL;
 *
 * Each phase removes the finished instances of one half of the time range; the last batch of each phase
 * (the one that finds nothing more, as every periodic pass on an up-to-date store does) is timed apart.
 * Not part of `npm test`. Server: `SAGAFLOW_BENCH_PG_URL`, else `DATABASE_URL`, else postgres@127.0.0.1:5432.
 */
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import pg from 'pg';
import { createPrismaRepository } from '../src/prisma/create-repository.ts';
import { freshDatabase } from './fresh-database.ts';

const ADMIN = process.env.SAGAFLOW_BENCH_PG_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = Number(process.argv[2] ?? 1_000_000);
const DAY = 86_400_000;

/** Finished instances (every tenth) finished 0..99 days ago; the others active. */
const SEED = `INSERT INTO sagaflow_instances (id, saga_name, correlation_id, state, data, version, status, created_at, updated_at, completed_at)
SELECT gen_random_uuid(), 'saga-' || (i % 4), 'order-' || i, CASE WHEN i % 10 = 0 THEN 'Done' ELSE 'Waiting' END,
  jsonb_build_object('orderId', 'order-' || i), 2, CASE WHEN i % 10 = 0 THEN 'completed' ELSE 'active' END,
  now() - interval '200 days', now() - make_interval(days => (i / 10) % 100),
  CASE WHEN i % 10 = 0 THEN now() - make_interval(days => (i / 10) % 100) END
FROM generate_series($1::int, $2::int) AS i`;
const HISTORY = `INSERT INTO sagaflow_history (instance_id, sequence, message_id, event_type, state_before, state_after, payload, at)
SELECT i.id, s, gen_random_uuid()::text, 'E' || s, NULL, i.state, '{}'::jsonb, i.updated_at
FROM sagaflow_instances i CROSS JOIN generate_series(1, 2) AS s WHERE i.completed_at IS NOT NULL`;

async function phase(label: string, repository: Awaited<ReturnType<typeof createPrismaRepository>>, olderThanDays: number): Promise<void> {
  const finishedBefore = new Date(Date.now() - olderThanDays * DAY);
  const times: number[] = [];
  let removed = 0;
  let history = 0;
  for (;;) {
    const start = performance.now();
    const r = await repository.purgeFinished({ finishedBefore, limit: 500 });
    times.push(performance.now() - start);
    removed += r.instances;
    history += r.history;
    if (r.instances < 500) break;
  }
  const full = times.slice(0, -1).sort((a, b) => a - b);
  const median = full.length ? full[Math.floor(full.length / 2)]!.toFixed(1) : '-';
  console.log(`${label.padEnd(16)} removed ${removed} instances and ${history} history rows in ${times.length} batches: median batch of 500 ${median} ms, total ${(times.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s; the last (empty) batch ${times.at(-1)!.toFixed(1)} ms`);
}

async function main(): Promise<void> {
  const database = await freshDatabase(ADMIN, 'sagaflow_bench_h17a_purge');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query('DROP INDEX IF EXISTS sagaflow_instances_finished_idx');
    for (let from = 1; from <= N; from += 100_000) await client.query(SEED, [from, Math.min(N, from + 99_999)]);
    await client.query(HISTORY);
    await client.query('VACUUM ANALYZE sagaflow_instances');
    await client.query('VACUUM ANALYZE sagaflow_history');
    console.log(`seeded ${N} instances (${N / 10} finished, 2 history rows each); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const repository = await createPrismaRepository({ databaseUrl: database.url, poolSize: 1, cache: false });
    await phase('no index', repository, 50);
    await repository.close();
    await client.query('CREATE INDEX sagaflow_instances_finished_idx ON sagaflow_instances (completed_at) WHERE completed_at IS NOT NULL');
    await client.query('ANALYZE sagaflow_instances');
    const indexed = await createPrismaRepository({ databaseUrl: database.url, poolSize: 1, cache: false });
    await phase('partial index', indexed, 0);
    await indexed.close();
    console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  } finally {
    await client.end();
    await database.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
