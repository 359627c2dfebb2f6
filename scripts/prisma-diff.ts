/**
 * Writes the next migration: the SQL that takes a database from the checked-in migrations to
 * `prisma/schema.prisma`, computed by Prisma's own schema engine (WebAssembly build) on a throw-away
 * in-memory PGlite, so neither internet nor a database server is needed.
 *
 *   npm run prisma:diff -- <name>          # writes prisma/migrations/<UTC timestamp>_<name>/migration.sql
 *   npm run prisma:diff -- <name> --check  # exit 1 if the schema and the migrations differ (CI)
 *
 * The result is what `prisma migrate dev --create-only --name <name>` would write.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { MIGRATION_LOCK, migrationsDir, readMigrations, readSchema } from '../src/prisma/package-files.ts';
import { startSchemaEngine } from '../src/prisma/schema-engine.ts';

const args = process.argv.slice(2);
const check = args.includes('--check');
const name = args.find((a) => !a.startsWith('--'));
if (!check && (!name || !/^[a-z0-9_]+$/.test(name))) {
  console.error('usage: npm run prisma:diff -- <snake_case_name> [--check]');
  process.exit(2);
}

const schema = await readSchema();
const migrations = await readMigrations();
const db = new PGlite();
/** The adapter's own shadow database is never closed, and its idle timer keeps the process alive 10 s. */
const shadows: PGlite[] = [];
class ClosableShadow extends PrismaPGlite {
  override async connectToShadowDb() {
    const shadow = new PGlite();
    shadows.push(shadow);
    return new PrismaPGlite(shadow).connect();
  }
}
const engine = await startSchemaEngine(new ClosableShadow(db), schema);
try {
  // `from: migrations` replays the folder on the adapter's shadow database (a fresh in-memory PGlite).
  const from =
    migrations.migrationDirectories.length === 0
      ? ({ tag: 'empty' } as const)
      : ({ tag: 'migrations', ...migrations } as const);
  const { stdout } = await engine.diff({
    from,
    to: { tag: 'schemaDatamodel', files: [schema] },
    script: true,
    exitCode: null,
    filters: { externalTables: [], externalEnums: [] },
  });
  // Diffing from an empty database, the engine adds `CREATE SCHEMA IF NOT EXISTS "public"`. PostgreSQL checks
  // the CREATE privilege on the database before IF NOT EXISTS, so that line would fail for a role that may
  // only create tables; the tables are unqualified and land in the connection's search_path anyway.
  const sql = (stdout ?? '').replace(/^-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n\n/, '');
  const empty = sql.trim() === '' || sql.trim() === '-- This is an empty migration.';
  if (check) {
    if (!empty) {
      console.error('prisma/schema.prisma differs from prisma/migrations; run `npm run prisma:diff -- <name>`:\n' + sql);
      process.exitCode = 1;
    } else console.log('migrations are up to date with the schema');
  } else if (empty) {
    console.log('no schema changes: nothing written');
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const dir = join(migrationsDir, `${stamp}_${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'migration.sql'), sql);
    await writeFile(join(migrationsDir, 'migration_lock.toml'), MIGRATION_LOCK);
    console.log(`wrote ${dir}/migration.sql`);
  }
} finally {
  engine.free();
  await Promise.all([db, ...shadows].map((d) => d.close()));
}
