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
  /**
   * Optional: an interactive transaction, as `PrismaClient.$transaction(async (tx) => …)`: commits when
   * `fn` resolves, rolls back when it throws. With it the repository offers `lockInstance` (a row lock
   * held from a read to its commit), which the orchestrator takes after a version conflict.
   */
  $transaction?<R>(fn: (tx: SagaflowTransactionClient) => Promise<R>, options?: { maxWait?: number; timeout?: number }): PromiseLike<R>;
}

/** What a transaction hands its function: the raw SQL methods, on the transaction's own connection. */
export type SagaflowTransactionClient = Pick<SagaflowPrismaClient, '$queryRawUnsafe' | '$executeRawUnsafe'>;

/**
 * How the repository's parts send SQL: after the schema check, with failures already translated into
 * Sagaflow's errors (`MissingTablesError`, `TransientStoreError`).
 */
export interface SqlRunner {
  query<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  execute(sql: string, params: readonly unknown[]): Promise<number>;
}
