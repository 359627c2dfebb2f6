/**
 * @module prisma/pg-pool-client
 *
 * The repository's two raw-SQL methods on a plain `pg.Pool`, with prepared statements. The factory uses it
 * for servers because the repository only sends raw SQL, and on this path Prisma's query layer costs more
 * than the database does: measured side by side on 2 cores, a commit at 16 concurrent workers ran at
 * ~5,600/s through `PrismaClient.$executeRawUnsafe` and ~8,300/s straight through the same kind of pool.
 */
import type pg from 'pg';
import type { SagaflowPrismaClient } from './client-types.ts';
import { statementName } from './statement-name.ts';

/**
 * @example
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const repository = new PrismaSagaRepository(pgPoolClient(pool), { onClose: () => pool.end() });
 */
export function pgPoolClient(pool: pg.Pool): SagaflowPrismaClient {
  const run = (text: string, values: unknown[]) => pool.query({ name: statementName(text), text, values });
  return {
    async $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> {
      return (await run(query, values)).rows as T;
    },
    async $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
      return (await run(query, values)).rowCount ?? 0;
    },
  };
}
