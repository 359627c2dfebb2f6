/**
 * @module prisma/schema-check
 *
 * Fails fast, with a message that says what to run, when the database has not been migrated.
 */
import { MissingTablesError } from '../errors/missing-tables-error.ts';
import type { SagaflowPrismaClient } from './client-types.ts';
import { SCHEMA_CHECK } from './sql.ts';

/**
 * Resolves when both Sagaflow tables are visible to the client's connection.
 *
 * @throws MissingTablesError naming the missing tables.
 * @example
 * await verifySchema(prisma); // throws MissingTablesError before `sagaflow migrate` ran
 */
export async function verifySchema(client: SagaflowPrismaClient): Promise<void> {
  const rows = await client.$queryRawUnsafe<{ instances: string | null; history: string | null }[]>(SCHEMA_CHECK);
  const row = rows[0];
  const missing = [
    ...(row?.instances ? [] : ['sagaflow_instances']),
    ...(row?.history ? [] : ['sagaflow_history']),
  ];
  if (missing.length) throw new MissingTablesError(missing);
}
