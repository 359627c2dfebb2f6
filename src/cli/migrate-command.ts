/**
 * @module cli/migrate-command
 *
 * `sagaflow migrate`: applies Sagaflow's migrations to a PostgreSQL server (`--url` / `--database-url`,
 * default `DATABASE_URL`) or to an embedded PGlite folder (`--pglite <dir>`), without the Prisma CLI.
 */
import { mkdir } from 'node:fs/promises';
import { migrate } from '../prisma/migrate.ts';
import { loadPGlite } from '../prisma/peers.ts';
import type { CliIo } from './io.ts';

export const MIGRATE_USAGE = `sagaflow migrate [--url <postgresql://…>] [--schema <name>] [--pglite <directory>]

  Applies pending migrations (the same ones and the same bookkeeping as \`prisma migrate deploy\`).
  --url      PostgreSQL connection URL (also --database-url; default: the DATABASE_URL environment variable)
  --schema   PostgreSQL schema for Sagaflow's tables, created if missing (default: ?schema= in the URL, else public)
  --pglite   an embedded PGlite data folder instead of a server (e.g. .sagaflow/db)`;

export interface MigrateOptions {
  readonly url?: string | undefined;
  readonly schema?: string | undefined;
  readonly pglite?: string | undefined;
}

/**
 * @example
 * await migrateCommand({ url: 'postgresql://localhost/app' }, processIo);
 * @returns the exit code: 2 (with the usage) when there is nowhere to migrate
 */
export async function migrateCommand(options: MigrateOptions, io: CliIo): Promise<number> {
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
