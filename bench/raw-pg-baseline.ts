/**
 * @module bench/raw-pg-baseline
 *
 * The floor any saga store on PostgreSQL is measured against: plain `pg`, one conditional
 * `UPDATE … WHERE id = $1 AND version = $2` per (autocommit) transaction, each worker on its own
 * connection and its own row, so no two workers contend for a lock and the limit is the server's commit
 * rate (fsync, group commit) plus the round trip.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { runLoad, type LoadOptions, type LoadResult } from './measure.ts';

export interface RawPgBaselineOptions extends LoadOptions {
  readonly connectionString: string;
}

/**
 * In a schema of its own, made for the run and dropped after it: Prisma Migrate refuses to start on a
 * `public` schema holding tables it did not create (P3005), and the repository bench migrates the same
 * database.
 */
const schemaName = () => `sagaflow_bench_raw_${randomBytes(4).toString('hex')}`;
/** A payload of the size a small saga carries, so the row write is comparable to a real commit. */
export const BENCH_DATA = { orderId: 'order-1', total: 129.5, lines: [{ sku: 'A-1', qty: 2 }], paid: false };

/**
 * @example
 * const r = await measureRawPgBaseline({ connectionString: process.env.DATABASE_URL!, concurrency: 16, durationMs: 5000 });
 * console.log(r.ops_per_sec, r.p50_ms, r.p99_ms);
 */
export async function measureRawPgBaseline(options: RawPgBaselineOptions): Promise<LoadResult> {
  const clients = Array.from({ length: options.concurrency }, () => new pg.Client(options.connectionString));
  await Promise.all(clients.map((c) => c.connect()));
  const admin = clients[0]!;
  const schema = schemaName();
  const TABLE = `${schema}.raw_rows`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(
    `CREATE TABLE IF NOT EXISTS ${TABLE} (id uuid PRIMARY KEY, version int NOT NULL, data jsonb NOT NULL, updated_at timestamptz(3) NOT NULL)`,
  );
  const rows = clients.map(() => ({ id: randomUUID(), version: 1 }));
  try {
    for (const row of rows) {
      await admin.query(`INSERT INTO ${TABLE} VALUES ($1, 1, $2, now())`, [row.id, JSON.stringify(BENCH_DATA)]);
    }
    return await runLoad(options, async (w) => {
      const row = rows[w]!;
      const result = await clients[w]!.query({
        name: `${schema}_update`,
        text: `UPDATE ${TABLE} SET version = $3, data = $4, updated_at = $5 WHERE id = $1 AND version = $2`,
        values: [row.id, row.version, row.version + 1, JSON.stringify(BENCH_DATA), new Date()],
      });
      if (result.rowCount !== 1) throw new Error(`lost the version check on an uncontended row ${row.id}`);
      row.version++;
    });
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await Promise.all(clients.map((c) => c.end()));
  }
}
