/**
 * @module bench/data-filter
 *
 * `npx tsx bench/data-filter.ts [instances]`: a search by business data over 1,000,000 instances (default)
 * on PostgreSQL, through the repository (`list` for a page, `countInstances` for the total), without
 * and then with the GIN index docs/operations.md recommends:
 *
 *   CREATE INDEX sagaflow_instances_data_gin ON sagaflow_instances USING gin (data jsonb_path_ops);
 *
 * Instances: 10 per customer (`data.customerId = c-<n>`), totals 0..999.99, spread over 4 sagas and two
 * years of creation times. Each query runs 7 times after 5 warm-up runs (so the connection's generic plan
 * is the one measured, as in a long-lived server); the median is reported. Not part of `npm test`.
 * Server: `SAGAFLOW_BENCH_PG_URL`, else `DATABASE_URL`, else postgres@127.0.0.1:5432; its own database.
 */
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import pg from 'pg';
import { createPrismaRepository } from '../src/prisma/create-repository.ts';
import { parseDataCondition, type InstanceFilter } from '../src/repository/instance-filter.ts';
import { freshDatabase } from './fresh-database.ts';

const ADMIN = process.env.SAGAFLOW_BENCH_PG_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const N = Number(process.argv[2] ?? 1_000_000);

const SEED = `INSERT INTO sagaflow_instances (id, saga_name, correlation_id, state, data, version, status, created_at, updated_at, completed_at)
SELECT gen_random_uuid(), 'saga-' || (i % 4), 'order-' || i,
  CASE WHEN i % 10 = 0 THEN 'Completed' ELSE 'AwaitingPayment' END,
  jsonb_build_object('orderId', 'order-' || i, 'customerId', 'c-' || (i / 10), 'total', round(((i::bigint * 7919) % 100000) / 100.0, 2),
                     'items', jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (i % 500), 'quantity', 1 + i % 3)),
                     'address', jsonb_build_object('country', CASE WHEN i % 7 = 0 THEN 'NO' ELSE 'DE' END)),
  3, CASE WHEN i % 10 = 0 THEN 'completed' ELSE 'active' END,
  now() - make_interval(secs => (i % 63072000)), now() - make_interval(secs => (i % 86400)),
  CASE WHEN i % 10 = 0 THEN now() - make_interval(secs => (i % 86400)) END
FROM generate_series($1::int, $2::int) AS i`;

const QUERIES: ReadonlyArray<[string, InstanceFilter]> = [
  ['data.customerId = c-4242 (10 rows)', { data: [parseDataCondition('data.customerId = c-4242')] }],
  ['saga-2 AND data.customerId = c-4242', { sagaName: 'saga-2', data: [parseDataCondition('data.customerId = c-4242')] }],
  ['data.address.country = NO (~14%)', { data: [parseDataCondition('data.address.country = NO')] }],
  ['data.total > 999 (~0.1%, a range)', { data: [parseDataCondition('data.total > 999')] }],
];

async function median(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 5; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[3]!;
}

/** Per-row data updates (what every event's write does), one statement each: ms per update. */
async function updateCost(client: pg.Client, from: number): Promise<number> {
  const rows = 2000;
  const start = performance.now();
  for (let i = from; i < from + rows; i++) {
    await client.query(`UPDATE sagaflow_instances SET data = jsonb_set(data, '{total}', to_jsonb($2::numeric)), version = version + 1 WHERE correlation_id = $1 AND saga_name = $3`, [
      `order-${i}`,
      i % 1000,
      `saga-${i % 4}`,
    ]);
  }
  return (performance.now() - start) / rows;
}

async function main(): Promise<void> {
  const database = await freshDatabase(ADMIN, 'sagaflow_bench_h17a_filter');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    let start = performance.now();
    for (let from = 1; from <= N; from += 100_000) await client.query(SEED, [from, Math.min(N, from + 99_999)]);
    await client.query('VACUUM ANALYZE sagaflow_instances');
    console.log(`seeded ${N} instances in ${((performance.now() - start) / 1000).toFixed(1)} s; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const repository = await createPrismaRepository({ databaseUrl: database.url, poolSize: 1, cache: false });
    const measure = async (label: string, repo: typeof repository) => {
      for (const [name, filter] of QUERIES) {
        const list = await median(() => repo.list({ ...filter, limit: 50 }));
        const count = await median(() => repo.countInstances(filter));
        const total = await repo.countInstances(filter);
        console.log(`${label.padEnd(12)} ${name.padEnd(40)} page of 50: ${list.toFixed(1).padStart(8)} ms   count (${total}): ${count.toFixed(1).padStart(8)} ms`);
      }
    };
    await measure('no index', repository);
    const before = await updateCost(client, 500_001 % N);
    start = performance.now();
    await client.query('CREATE INDEX sagaflow_instances_data_gin ON sagaflow_instances USING gin (data jsonb_path_ops)');
    await client.query('ANALYZE sagaflow_instances');
    const size = await client.query<{ size: string; table: string }>(
      `SELECT pg_size_pretty(pg_relation_size('sagaflow_instances_data_gin')) AS size, pg_size_pretty(pg_relation_size('sagaflow_instances')) AS table`,
    );
    console.log(`built the GIN index in ${((performance.now() - start) / 1000).toFixed(1)} s: ${size.rows[0]!.size} (table ${size.rows[0]!.table})`);
    // New connections: plans made before the index existed are not reused.
    await repository.close();
    const indexed = await createPrismaRepository({ databaseUrl: database.url, poolSize: 1, cache: false });
    await measure('GIN index', indexed);
    const after = await updateCost(client, 600_001 % N);
    console.log(`a data update (one row, one statement): ${before.toFixed(3)} ms without the index, ${after.toFixed(3)} ms with it`);
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
