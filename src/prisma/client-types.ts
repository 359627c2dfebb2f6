/**
 * @module prisma/client-types
 *
 * The slice of a Prisma client the repository needs. Structural, so any `PrismaClient` works (the one
 * this package generates, or an application's own client whose schema includes Sagaflow's models),
 * and so does anything else with these two methods, such as a transaction client (`tx`) from
 * `prisma.$transaction(async (tx) => …)`.
 */

/**
 * A Prisma client, seen through its raw SQL methods.
 *
 * @example
 * import { PrismaClient } from './generated/prisma/client';
 * const client: SagaflowPrismaClient = new PrismaClient({ adapter });
 */
export interface SagaflowPrismaClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/**
 * How the repository's parts send SQL: after the schema check, with failures already translated into
 * Sagaflow's errors (`MissingTablesError`, `TransientStoreError`).
 */
export interface SqlRunner {
  query<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  execute(sql: string, params: readonly unknown[]): Promise<number>;
}
