import { SagaflowError } from './sagaflow-error.ts';

export const SCHEMA_MISSING = 'SAGA_SCHEMA_MISSING';

/**
 * The database the Prisma repository talks to has no Sagaflow tables (or only some of them): the
 * migrations were not applied to it, or the connection's `search_path` points at another schema.
 */
export class MissingTablesError extends SagaflowError {
  readonly missing: readonly string[];

  constructor(missing: readonly string[], options?: { cause?: unknown }) {
    super(
      SCHEMA_MISSING,
      `the database has no ${missing.join(', ')} table${missing.length === 1 ? '' : 's'}: ` +
        `run \`npx sagaflow migrate\` (or \`prisma migrate deploy\` if Sagaflow's models are in your own schema.prisma) ` +
        `against this database first`,
      options,
    );
    this.missing = missing;
  }
}
