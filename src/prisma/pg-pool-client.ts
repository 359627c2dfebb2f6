/**
 * @module prisma/pg-pool-client
 *
 * The repository's two raw-SQL methods on a plain `pg.Pool`, with prepared statements: the factory's
 * `via: 'pg'`. The repository only sends raw SQL, and Prisma's query layer costs client CPU per statement
 * and per parameter byte; on 2 cores, where Node.js and PostgreSQL share the machine, the order saga at 16
 * publishers ran ~7,500 events/s this way against ~5,900 through the Prisma client (docs/persistence.md).
 */
import type pg from 'pg';
import type { SagaflowPrismaClient, SagaflowTransactionClient } from './client-types.ts';
import { statementName } from './statement-name.ts';

/**
 * @example
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const repository = new PrismaSagaRepository(pgPoolClient(pool), { onClose: () => pool.end() });
 */
export function pgPoolClient(pool: pg.Pool): SagaflowPrismaClient {
  return {
    ...rawMethods(pool),
    async $transaction<R>(fn: (tx: SagaflowTransactionClient) => Promise<R>): Promise<R> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(rawMethods(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is closed rather than returned to the pool mid-transaction.
        await client.query('ROLLBACK').catch((failed: unknown) => (broken = failed instanceof Error ? failed : new Error(String(failed))));
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}

/** The two raw methods on a pool or on one of its connections, each statement prepared by name. */
function rawMethods(target: pg.Pool | pg.PoolClient): SagaflowTransactionClient {
  const run = (text: string, values: unknown[]) => target.query({ name: statementName(text), text, values });
  return {
    async $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> {
      return (await run(query, values)).rows as T;
    },
    async $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
      return (await run(query, values)).rowCount ?? 0;
    },
  };
}
