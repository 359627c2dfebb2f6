/**
 * @module cli/migrate-command
 *
 * `sagaflow migrate`: applies Sagaflow's migrations to a PostgreSQL server (`--url`, default
 * `DATABASE_URL`) or to an embedded PGlite folder (`--pglite <dir>`), without the Prisma CLI.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { migrate } from '../prisma/migrate.ts';

export const MIGRATE_USAGE = `sagaflow migrate [--url <postgresql://…>] [--schema <name>] [--pglite <directory>]

  Applies pending migrations (the same ones and the same bookkeeping as \`prisma migrate deploy\`).
  --url      PostgreSQL connection URL (default: the DATABASE_URL environment variable)
  --schema   PostgreSQL schema for Sagaflow's tables, created if missing (default: ?schema= in the URL, else public)
  --pglite   an embedded PGlite data folder instead of a server (e.g. .sagaflow/db)`;

/**
 * @example
 * await runMigrate(['--url', 'postgresql://localhost/app'], console.log);
 * @returns the process exit code
 */
export async function runMigrate(args: readonly string[], print: (line: string) => void): Promise<number> {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const directory = flag('--pglite');
  const url = flag('--url') ?? (directory === undefined ? process.env.DATABASE_URL : undefined);
  if (args.includes('--help') || (!url && !directory)) {
    print(MIGRATE_USAGE);
    return args.includes('--help') ? 0 : 2;
  }
  let result;
  if (url) {
    const schema = flag('--schema');
    result = await migrate({ connectionString: url, ...(schema ? { schema } : {}) });
  } else {
    await mkdir(directory!, { recursive: true });
    const db = await PGlite.create(directory!);
    try {
      result = await migrate({ pglite: db });
    } finally {
      await db.close();
    }
  }
  print(result.applied.length ? `applied ${result.applied.join(', ')}` : 'database is up to date');
  return 0;
}
