/**
 * @module tests/helpers/postgres
 *
 * Real PostgreSQL for tests, one fresh database per test file (graphile-worker style): the migrations are
 * applied once to a template database named after their content hash, and each file clones it with
 * `CREATE DATABASE … TEMPLATE`, which takes milliseconds, then drops its clone.
 *
 * Server: `SAGAFLOW_TEST_PG_URL` (an admin URL, default postgres@127.0.0.1:5432, trust auth).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createPrismaRepository, type PrismaRepositoryOptions } from '../../src/prisma/create-repository.ts';
import { migrationsDir } from '../../src/prisma/package-files.ts';
import { migrate } from '../../src/prisma/migrate.ts';

export const ADMIN_URL = process.env.SAGAFLOW_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Serialises template builds across vitest workers and concurrent test runs. */
const TEMPLATE_LOCK = 0x5a6f_7e57;

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** `ADMIN_URL` with another database name. */
export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `fn` with a connection to the server's admin database. */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(migrationsDir).sort()) {
    if (name.endsWith('.toml')) continue;
    hash.update(name).update(readFileSync(join(migrationsDir, name, 'migration.sql')));
  }
  return hash.digest('hex').slice(0, 12);
}

async function ensureTemplate(admin: pg.Client): Promise<string> {
  const template = `sagaflow_tpl_${migrationsHash()}`;
  const exists = async (name: string) =>
    (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  if (await exists(template)) return template;
  // Built under another name and renamed, so a template that exists is always fully migrated.
  const building = `${template}_building`;
  await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${building}`);
  await migrate({ connectionString: databaseUrl(building) });
  await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
  // Templates of older migration sets are of no more use.
  const stale = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE 'sagaflow\\_tpl\\_%' AND datname <> $1`,
    [template],
  );
  for (const { datname } of stale.rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  return template;
}

/**
 * A new database for one test file: migrated (cloned from the template) unless `migrated: false`.
 *
 * @example
 * let db: TestDatabase;
 * beforeAll(async () => { db = await createTestDatabase(); });
 * afterAll(() => db.drop());
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `sagaflow_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(async (admin) => {
    if (options.migrated === false) {
      await admin.query(`CREATE DATABASE ${name}`);
      return;
    }
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const template = await ensureTemplate(admin);
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdmin(async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

/**
 * This test file's own database, made before its tests and dropped after them, and the repositories (or
 * anything else with `close()`) opened on it, closed before the drop. Call at the top of a file or `describe`.
 *
 * @example
 * const db = useTestDatabase();
 * it('…', async () => { const repository = await db.repository({ poolSize: 4 }); });
 */
export function useTestDatabase() {
  let db: TestDatabase | undefined;
  const opened: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(opened.map((r) => r.close()));
    await db?.drop();
  });
  const current = (): TestDatabase => {
    if (db === undefined) throw new Error('useTestDatabase(): the database is made in beforeAll, use it inside tests');
    return db;
  };
  const closeLater = <T extends { close(): Promise<void> }>(resource: T): T => {
    opened.push(resource);
    return resource;
  };
  return {
    get url(): string {
      return current().url;
    },
    /** `createPrismaRepository` on this database, closed after the file's tests. */
    repository: async (options: PrismaRepositoryOptions = {}) => closeLater(await createPrismaRepository({ databaseUrl: current().url, ...options })),
    closeLater,
  };
}

/** Empties Sagaflow's tables (history goes with the instances) between tests sharing a database. */
export async function truncateSagaTables(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('TRUNCATE sagaflow_instances CASCADE');
  } finally {
    await client.end();
  }
}
