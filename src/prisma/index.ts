/**
 * @module sagaflow/prisma
 *
 * Persistence on PostgreSQL through Prisma: the repository, its factory, and migrations.
 * A separate entry point so that the core package never loads Prisma.
 *
 * @example
 * import { createPrismaRepository, migrate } from 'sagaflow/prisma';
 * await migrate({ connectionString: process.env.DATABASE_URL! });
 * const repository = await createPrismaRepository();
 */
export { PrismaSagaRepository, type PrismaSagaRepositoryOptions } from './prisma-saga-repository.ts';
export { createPrismaRepository, DEFAULT_DIRECTORY, DEFAULT_CACHE, type PrismaRepositoryOptions } from './create-repository.ts';
export { prismaAdapterClient } from './adapter-client.ts';
export { migrate, MIGRATION_LOCK_KEY, type MigrateResult, type MigrateTarget, type EmbeddedDatabase } from './migrate.ts';
export { verifySchema } from './schema-check.ts';
export type { SagaflowPrismaClient } from './client-types.ts';
export { pgPoolClient } from './pg-pool-client.ts';
export { MissingTablesError, SCHEMA_MISSING } from '../errors/missing-tables-error.ts';
export { MigrationError, MIGRATION_FAILED } from '../errors/migration-error.ts';
export { MigrationsPendingError, MIGRATIONS_PENDING } from '../errors/migrations-pending-error.ts';
export { MissingPeerError, PEER_MISSING } from '../errors/missing-peer-error.ts';
