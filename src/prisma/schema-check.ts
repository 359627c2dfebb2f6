/**
 * @module prisma/schema-check
 *
 * Fails fast, with a message that says what to run, when the database has not been migrated (or only
 * by an older version of Sagaflow, before some of its tables existed).
 */
import { readdir } from 'node:fs/promises';
import { MigrationsPendingError } from '../errors/migrations-pending-error.ts';
import { MissingTablesError } from '../errors/missing-tables-error.ts';
import type { SagaflowPrismaClient } from './client-types.ts';
import { migrationsDir } from './package-files.ts';
import { APPLIED_MIGRATIONS, SCHEMA_CHECK } from './sql.ts';

/** Every table the repository uses; `SCHEMA_CHECK` answers one column per table, named after it. */
export const SAGAFLOW_TABLES = Object.freeze([
  'sagaflow_instances',
  'sagaflow_history',
  'sagaflow_outbox',
  'sagaflow_dead_letters',
  'sagaflow_commands',
] as const);

/**
 * Resolves when all of Sagaflow's tables are visible to the client's connection and the database is at
 * the migration level this package needs.
 *
 * The level is read from Prisma's `_prisma_migrations` when it records Sagaflow's migrations by name
 * (`sagaflow migrate`, `prisma migrate deploy` on copied directories). A database whose bookkeeping names
 * none of them (Sagaflow's models merged into an application's own migrations) is checked by its tables only.
 *
 * @throws MissingTablesError naming the missing tables.
 * @throws MigrationsPendingError naming the migrations not applied.
 * @example
 * await verifySchema(prisma); // throws MissingTablesError before `sagaflow migrate` ran
 */
export async function verifySchema(client: SagaflowPrismaClient, expected?: readonly string[]): Promise<void> {
  const rows = await client.$queryRawUnsafe<Record<string, string | null>[]>(SCHEMA_CHECK);
  const missing = SAGAFLOW_TABLES.filter((table) => !rows[0]?.[table]);
  if (missing.length) throw new MissingTablesError(missing);
  if (!rows[0]?.prisma_migrations) return;
  const applied = (await client.$queryRawUnsafe<{ name: string }[]>(APPLIED_MIGRATIONS)).map((row) => row.name);
  const pending = pendingMigrations(expected ?? (await packageMigrations()), applied);
  if (pending.length) throw new MigrationsPendingError(pending);
}

/**
 * The package's migrations a database lacks, given the names its `_prisma_migrations` records as applied;
 * none when it records none of them (its schema is managed by the application's own migrations).
 *
 * @example
 * pendingMigrations(['1_init', '2_outbox'], ['1_init']); // ['2_outbox']
 * pendingMigrations(['1_init', '2_outbox'], ['20250101_app']); // []
 */
export function pendingMigrations(expected: readonly string[], applied: readonly string[]): string[] {
  const done = new Set(applied);
  if (!expected.some((name) => done.has(name))) return [];
  return expected.filter((name) => !done.has(name));
}

/** The migration directory names this package ships, oldest first. */
export async function packageMigrations(dir: string = migrationsDir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/**
 * The table an "undefined table" error (42P01) names, when it is one of ours; every table otherwise.
 *
 * @example
 * missingTables(new Error('relation "sagaflow_outbox" does not exist')); // ['sagaflow_outbox']
 */
export function missingTables(error: unknown): readonly string[] {
  const text = error instanceof Error ? `${error.message} ${String((error.cause as { originalMessage?: unknown })?.originalMessage ?? '')}` : '';
  const named = /relation "(?:[^"]*\.)?(sagaflow_\w+)" does not exist/.exec(text)?.[1];
  return named && (SAGAFLOW_TABLES as readonly string[]).includes(named) ? [named] : SAGAFLOW_TABLES;
}
