/**
 * @module prisma/schema-check
 *
 * Fails fast, with a message that says what to run, when the database has not been migrated (or only
 * by an older version of Sagaflow, before some of its tables existed).
 */
import { MissingTablesError } from '../errors/missing-tables-error.ts';
import type { SagaflowPrismaClient } from './client-types.ts';
import { SCHEMA_CHECK } from './sql.ts';

/** Every table the repository uses; `SCHEMA_CHECK` answers one column per table, named after it. */
export const SAGAFLOW_TABLES = Object.freeze([
  'sagaflow_instances',
  'sagaflow_history',
  'sagaflow_outbox',
  'sagaflow_dead_letters',
  'sagaflow_commands',
] as const);

/**
 * Resolves when all of Sagaflow's tables are visible to the client's connection.
 *
 * @throws MissingTablesError naming the missing tables.
 * @example
 * await verifySchema(prisma); // throws MissingTablesError before `sagaflow migrate` ran
 */
export async function verifySchema(client: SagaflowPrismaClient): Promise<void> {
  const rows = await client.$queryRawUnsafe<Record<string, string | null>[]>(SCHEMA_CHECK);
  const missing = SAGAFLOW_TABLES.filter((table) => !rows[0]?.[table]);
  if (missing.length) throw new MissingTablesError(missing);
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
