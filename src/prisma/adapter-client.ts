/**
 * @module prisma/adapter-client
 *
 * The repository's two raw-SQL methods on a Prisma 7 driver adapter (`@prisma/adapter-pg` for a server,
 * `pglite-prisma-adapter` for the embedded database): the layer Prisma's own client sends its SQL
 * through. The repository only ever sends raw SQL, which the client's query layer would pass through
 * unchanged at a cost in CPU per statement and per parameter byte; on 2 cores, where Node.js and
 * PostgreSQL share the machine, that cost decided whether the order saga kept up with the raw baseline
 * (docs/persistence.md). Errors keep Prisma's shape (`DriverAdapterError` with the SQLSTATE).
 */
import type { ArgType, SqlDriverAdapter, SqlQuery, SqlQueryable } from '@prisma/driver-adapter-utils';
import type { SagaflowPrismaClient, SagaflowTransactionClient } from './client-types.ts';

// The repository binds strings, numbers, JSON text and text arrays, with explicit casts in its SQL:
// nothing needs a driver-side conversion, which is what argument types would select.
const SCALAR: ArgType = { scalarType: 'unknown', arity: 'scalar' };
const LIST: ArgType = { scalarType: 'unknown', arity: 'list' };

function query(sql: string, args: unknown[]): SqlQuery {
  return { sql, args, argTypes: args.map((a) => (Array.isArray(a) ? LIST : SCALAR)) };
}

/**
 * @example
 * const adapter = await new PrismaPg(pool).connect();
 * const repository = new PrismaSagaRepository(prismaAdapterClient(adapter));
 */
export function prismaAdapterClient(adapter: SqlDriverAdapter): SagaflowPrismaClient {
  return {
    ...rawMethods(adapter),
    async $transaction<R>(fn: (tx: SagaflowTransactionClient) => Promise<R>): Promise<R> {
      const tx = await adapter.startTransaction();
      // As Prisma's own transaction manager: an adapter with "phantom" queries (PGlite) begins and ends
      // the transaction itself; the others began it and leave COMMIT / ROLLBACK to the caller.
      const phantom = tx.options.usePhantomQuery;
      let result: R;
      try {
        result = await fn(rawMethods(tx));
      } catch (error) {
        try {
          if (!phantom) await tx.executeRaw(query('ROLLBACK', []));
        } finally {
          await tx.rollback();
        }
        throw error;
      }
      if (phantom) {
        await tx.commit();
        return result;
      }
      try {
        await tx.executeRaw(query('COMMIT', []));
      } catch (error) {
        await tx.rollback();
        throw error;
      }
      await tx.commit();
      return result;
    },
  };
}

function rawMethods(target: SqlQueryable): SagaflowTransactionClient {
  return {
    async $queryRawUnsafe<T = unknown>(sql: string, ...args: unknown[]): Promise<T> {
      const { columnNames, rows } = await target.queryRaw(query(sql, args));
      const width = columnNames.length;
      const objects = new Array<Record<string, unknown>>(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
        const object: Record<string, unknown> = {};
        for (let c = 0; c < width; c++) object[columnNames[c]!] = row[c];
        objects[r] = object;
      }
      return objects as T;
    },
    $executeRawUnsafe(sql: string, ...args: unknown[]): Promise<number> {
      return target.executeRaw(query(sql, args));
    },
  };
}
