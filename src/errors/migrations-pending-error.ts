import { SagaflowError } from './sagaflow-error.ts';

export const MIGRATIONS_PENDING = 'SAGA_MIGRATIONS_PENDING';

/**
 * The database has Sagaflow's tables, but Prisma's `_prisma_migrations` shows that migrations this version
 * of Sagaflow needs were not applied (the package was upgraded, the database was not).
 */
export class MigrationsPendingError extends SagaflowError {
  /** The migrations (directory names under the package's `prisma/migrations`) the database lacks. */
  readonly pending: readonly string[];

  constructor(pending: readonly string[], options?: { cause?: unknown }) {
    super(
      MIGRATIONS_PENDING,
      `the database lacks ${pending.length === 1 ? 'the migration' : `${pending.length} migrations`} this version of Sagaflow needs ` +
        `(${pending.join(', ')}): run \`npx sagaflow migrate\`, or \`npx sagaflow migrate --print-sql\` for the SQL to apply ` +
        `yourself (copy the same directories into your prisma/migrations if Sagaflow's models are in your own schema)`,
      options,
    );
    this.pending = pending;
  }
}
