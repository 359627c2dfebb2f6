import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isSagaflowError } from '../../src/errors/sagaflow-error.ts';
import { PrismaClient } from '../../src/prisma/generated/client.ts';
import {
  createPrismaRepository,
  migrate,
  MigrationsPendingError,
  MIGRATIONS_PENDING,
  MissingTablesError,
  PrismaSagaRepository,
  SCHEMA_MISSING,
} from '../../src/prisma/index.ts';
import { migrationsDir, modelsOnly, modelsPath, readMigrations, readSchema } from '../../src/prisma/package-files.ts';
import { pendingMigrations } from '../../src/prisma/schema-check.ts';
import { startSchemaEngine } from '../../src/prisma/schema-engine.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { insertOf, makeInstance } from '../helpers/records.ts';

const root = new URL('../../', import.meta.url).pathname;

/** Runs a TypeScript entry point in a child Node process, as a user's shell would. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, file), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function appliedRows(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY migration_name',
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('migrate', () => {
  const dbs: TestDatabase[] = [];
  const fresh = async () => {
    const db = await createTestDatabase({ migrated: false });
    dbs.push(db);
    return db;
  };
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.drop()));
  });

  it("applies every migration once, recorded in _prisma_migrations as prisma migrate deploy records it", async () => {
    const db = await fresh();
    const { migrationDirectories } = await readMigrations();
    const names = migrationDirectories.map((m) => m.path);
    expect(names.length).toBeGreaterThan(0);

    expect((await migrate({ connectionString: db.url })).applied).toEqual(names);
    expect((await migrate({ connectionString: db.url })).applied).toEqual([]);

    const rows = await appliedRows(db.url);
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const row of rows) {
      // Prisma's checksum is the SHA-256 of the file: `prisma migrate deploy` will see these as applied.
      const sql = await readFile(join(migrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
    }
  });

  it('succeeds in two processes started at the same moment; the migration is applied once', async () => {
    const db = await fresh();
    const [a, b] = await Promise.all([
      run('src/cli/index.ts', ['migrate', '--url', db.url]),
      run('src/cli/index.ts', ['migrate', '--url', db.url]),
    ]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    const names = (await readMigrations()).migrationDirectories.map((m) => m.path);
    expect([a.stdout, b.stdout].sort()).toEqual([`applied ${names.join(', ')}\n`, 'database is up to date\n']);
    expect(await appliedRows(db.url)).toHaveLength((await readMigrations()).migrationDirectories.length);
  });

  it('migrates an embedded PGlite folder from the command line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sagaflow-cli-'));
    try {
      const first = await run('src/cli/index.ts', ['migrate', '--pglite', dir]);
      expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/^applied /) });
      const second = await run('src/cli/index.ts', ['migrate', '--pglite', dir]);
      expect(second).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("shares a database whose public schema has other tables by keeping its own in a schema of its own", async () => {
    const db = await fresh();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE app_users (id int PRIMARY KEY)');
      // What Prisma Migrate says about a non-empty schema it does not manage (P3005).
      await expect(migrate({ connectionString: db.url })).rejects.toThrow(/schema is not empty/);

      const { migrationDirectories } = await readMigrations();
      expect((await migrate({ connectionString: db.url, schema: 'sagaflow' })).applied).toHaveLength(migrationDirectories.length);
      expect((await migrate({ connectionString: `${db.url}?schema=sagaflow` })).applied).toEqual([]);
      const { rows } = await client.query<{ table_schema: string; table_name: string }>(
        `SELECT table_schema, table_name FROM information_schema.tables
         WHERE table_schema IN ('public', 'sagaflow') ORDER BY 1, 2`,
      );
      expect(rows.map((r) => `${r.table_schema}.${r.table_name}`)).toEqual([
        'public.app_users',
        'sagaflow._prisma_migrations',
        'sagaflow.sagaflow_commands',
        'sagaflow.sagaflow_dead_letters',
        'sagaflow.sagaflow_history',
        'sagaflow.sagaflow_instances',
        'sagaflow.sagaflow_outbox',
      ]);
      for (const via of ['adapter', 'client', 'pg'] as const) {
        const repository = await createPrismaRepository({ databaseUrl: `${db.url}?schema=sagaflow`, via });
        const instance = makeInstance();
        await repository.commit(insertOf(instance));
        expect(await repository.findById(instance.id)).toEqual(instance);
        await repository.close();
      }
      await expect(createPrismaRepository({ databaseUrl: db.url })).rejects.toBeInstanceOf(MissingTablesError);
    } finally {
      await client.end();
    }
  });

  it('brings a database migrated by an older version up to date, asking for the new tables until then', async () => {
    const db = await fresh();
    // What an earlier release shipped: the first migration alone, applied with Prisma's bookkeeping.
    const all = await readMigrations();
    const [first, ...later] = all.migrationDirectories;
    expect(later.length).toBeGreaterThan(0);
    // Its own pool, ended afterwards: the engine's advisory lock lives as long as its connection.
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => {}); // an ended connection's late termination notice is not this test's concern
    const engine = await startSchemaEngine(new PrismaPg(pool), await readSchema());
    try {
      await engine.applyMigrations({
        migrationsList: { ...all, migrationDirectories: [first!] },
        filters: { externalTables: [], externalEnums: [] },
      });
    } finally {
      engine.free();
      await pool.end();
    }
    const error = await createPrismaRepository({ databaseUrl: db.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingTablesError);
    expect((error as MissingTablesError).missing).toEqual(['sagaflow_outbox', 'sagaflow_dead_letters', 'sagaflow_commands']);

    expect((await migrate({ connectionString: db.url })).applied).toEqual(later.map((m) => m.path));
    const repository = await createPrismaRepository({ databaseUrl: db.url });
    expect(await repository.outboxSize()).toBe(0);
    await repository.close();
  });

  it('prints usage and exits 2 when there is nowhere to migrate', async () => {
    const result = await run('src/cli/index.ts', ['migrate'], { DATABASE_URL: '' });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('sagaflow migrate [--url');
  });

  it('finds the checked-in migrations in step with prisma/schema.prisma', async () => {
    const result = await run('scripts/prisma-diff.ts', ['--check']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('schema check', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db?.drop());

  let client: PrismaClient | undefined;
  afterEach(async () => {
    await client?.$disconnect();
  });

  it('refuses to open a repository on an unmigrated database with a typed error that says what to run', async () => {
    const error = await createPrismaRepository({ databaseUrl: db.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingTablesError);
    expect(isSagaflowError(error, SCHEMA_MISSING)).toBe(true);
    expect((error as MissingTablesError).missing).toEqual([
      'sagaflow_instances',
      'sagaflow_history',
      'sagaflow_outbox',
      'sagaflow_dead_letters',
      'sagaflow_commands',
    ]);
    expect((error as Error).message).toContain('sagaflow migrate');
  });

  it("checks a user's own client on first use, and works once migrations are applied", async () => {
    client = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url }) });
    const repository = new PrismaSagaRepository(client);
    await expect(repository.findByCorrelation('order', 'x')).rejects.toBeInstanceOf(MissingTablesError);
    await migrate({ connectionString: db.url });
    expect(await repository.findByCorrelation('order', 'x')).toBeNull();
  });

  it('reports tables dropped after start-up with the same typed error', async () => {
    client = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url }) });
    await migrate({ connectionString: db.url });
    const repository = new PrismaSagaRepository(client);
    await repository.ready();
    await client.$executeRawUnsafe('DROP TABLE sagaflow_outbox');
    const error = await repository.outboxSize().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingTablesError);
    expect((error as MissingTablesError).missing).toEqual(['sagaflow_outbox']);
    await client.$executeRawUnsafe('DROP TABLE sagaflow_history, sagaflow_instances, sagaflow_dead_letters, sagaflow_commands, _prisma_migrations');
    await expect(repository.commit(insertOf(makeInstance()))).rejects.toBeInstanceOf(MissingTablesError);
  });

  it('refuses a database whose migrations record lacks one this version needs, naming it', async () => {
    const migrated = await createTestDatabase();
    try {
      const names = (await readMigrations()).migrationDirectories.map((m) => m.path);
      const last = names.at(-1)!;
      const admin = new pg.Client({ connectionString: migrated.url });
      await admin.connect();
      try {
        // The tables are all there: only the bookkeeping says the newest migration was never applied.
        await admin.query('DELETE FROM _prisma_migrations WHERE migration_name = $1', [last]);
        const error = await createPrismaRepository({ databaseUrl: migrated.url }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(MigrationsPendingError);
        expect(isSagaflowError(error, MIGRATIONS_PENDING)).toBe(true);
        expect((error as MigrationsPendingError).pending).toEqual([last]);
        expect((error as Error).message).toContain('sagaflow migrate --print-sql');
        // Bookkeeping that names none of Sagaflow's migrations (its models merged into an application's own
        // migrations): the tables are what counts.
        await admin.query("UPDATE _prisma_migrations SET migration_name = 'app_' || migration_name");
        const repository = await createPrismaRepository({ databaseUrl: migrated.url });
        await repository.close();
      } finally {
        await admin.end();
      }
    } finally {
      await migrated.drop();
    }
  });
});

describe('the models the package ships', () => {
  it('are schema.prisma without its generator and datasource, so `prisma generate` on them writes nothing into node_modules', async () => {
    const [schema, models] = await Promise.all([readFile(join(root, 'prisma/schema.prisma'), 'utf8'), readFile(modelsPath, 'utf8')]);
    expect(models).toBe(modelsOnly(schema));
    expect(models).not.toMatch(/^\s*(generator|datasource)\s/m);
    expect(models.match(/^model /gm)).toHaveLength(schema.match(/^model /gm)!.length);
  });

  it('counts a migration pending only when the record names Sagaflow migrations', () => {
    expect(pendingMigrations(['1_init', '2_outbox', '3_more'], ['1_init'])).toEqual(['2_outbox', '3_more']);
    expect(pendingMigrations(['1_init', '2_outbox'], ['1_init', '2_outbox'])).toEqual([]);
    expect(pendingMigrations(['1_init', '2_outbox'], ['20250101_app'])).toEqual([]);
  });
});
