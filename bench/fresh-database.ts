/**
 * @module bench/fresh-database
 * A migrated database of a benchmark's own, named `<prefix>_<random>`, so that a run never measures (or
 * leaves behind) another run's rows; `drop()` removes it, forcing out whatever is still connected.
 * `migrate: false` leaves it empty (the pgbench baseline's).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/prisma/migrate.ts';

/** Drops of the databases made and not yet dropped: `dropLeftovers()` runs them when a run is interrupted. */
const pending = new Set<() => Promise<void>>();

/** Drops every database `freshDatabase` made that is still there (for SIGINT / SIGTERM handlers). */
export async function dropLeftovers(): Promise<void> {
  await Promise.allSettled([...pending].map((drop) => drop()));
}

/**
 * @example
 * const database = await freshDatabase(BENCH_PG_URL, 'sagaflow_hot');
 * try { … database.url … } finally { await database.drop(); }
 */
export async function freshDatabase(
  adminUrl: string,
  prefix: string,
  options: { readonly migrate?: boolean } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    pending.delete(drop);
  };
  pending.add(drop);
  try {
    if (options.migrate !== false) await migrate({ connectionString: url.toString() });
  } catch (error) {
    await drop();
    throw error;
  }
  return { url: url.toString(), drop };
}
