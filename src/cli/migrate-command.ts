/**
 * @module cli/migrate-command
 *
 * `sagaflow migrate`: applies Sagaflow's migrations to a PostgreSQL server (`--url` / `--database-url`,
 * default `DATABASE_URL`) or to an embedded PGlite folder (`--pglite <dir>`), without the Prisma CLI.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrate } from '../prisma/migrate.ts';
import { migrationsDir } from '../prisma/package-files.ts';
import { loadPGlite } from '../prisma/peers.ts';
import { packageMigrations } from '../prisma/schema-check.ts';
import type { CliIo } from './io.ts';

export const MIGRATE_USAGE = `sagaflow migrate [--url <postgresql://…>] [--schema <name>] [--pglite <directory>] [--print-sql]

  Applies pending migrations (the same ones and the same bookkeeping as \`prisma migrate deploy\`).
  --url      PostgreSQL connection URL (also --database-url; default: the DATABASE_URL environment variable)
  --schema   PostgreSQL schema for Sagaflow's tables, created if missing (default: ?schema= in the URL, else public)
  --pglite   an embedded PGlite data folder instead of a server (e.g. .sagaflow/db)
  --print-sql  print the SQL of every migration, oldest first, and apply nothing (for teams that run their own)`;

export interface MigrateOptions {
  readonly url?: string | undefined;
  readonly schema?: string | undefined;
  readonly pglite?: string | undefined;
  /** Print the migrations' SQL instead of applying it. */
  readonly printSql?: boolean | undefined;
}

/**
 * The SQL of every migration this package ships, oldest first, each under a `-- Migration: <name>` line.
 * Applied by hand, it gives the same tables as `migrate()` but no `_prisma_migrations` rows, so the
 * start-up check then looks at the tables only.
 *
 * @example
 * process.stdout.write(await migrationsSql());
 */
export async function migrationsSql(dir: string = migrationsDir): Promise<string> {
  const parts: string[] = [];
  for (const name of await packageMigrations(dir)) {
    const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
    parts.push(`-- Migration: ${name}\n${sql.trimEnd()}\n`);
  }
  return parts.join('\n');
}

/**
 * @example
 * await migrateCommand({ url: 'postgresql://localhost/app' }, processIo);
 * @returns the exit code: 2 (with the usage) when there is nowhere to migrate
 */
export async function migrateCommand(options: MigrateOptions, io: CliIo): Promise<number> {
  if (options.printSql) {
    io.out(await migrationsSql());
    return 0;
  }
  const directory = options.pglite;
  const url = options.url || (directory === undefined ? io.env.DATABASE_URL : undefined) || undefined;
  if (!url && !directory) {
    io.out(MIGRATE_USAGE);
    return 2;
  }
  let result;
  if (url) {
    result = await migrate({ connectionString: url, ...(options.schema ? { schema: options.schema } : {}) });
  } else {
    const PGlite = await loadPGlite();
    await mkdir(directory!, { recursive: true });
    const db = await PGlite.create(directory!);
    try {
      result = await migrate({ pglite: db });
    } finally {
      await db.close();
    }
  }
  io.out(result.applied.length ? `applied ${result.applied.join(', ')}` : 'database is up to date');
  return 0;
}
