import { SagaflowError } from './sagaflow-error.ts';

export const NO_DATABASE = 'SAGA_NO_DATABASE';

/**
 * A command that reads or changes existing data was given no database: no `--database-url`, no
 * `DATABASE_URL`, and no embedded database in the folder it would use. It is not created on the spot,
 * where an empty new database would look like a system with nothing in it.
 */
export class NoDatabaseError extends SagaflowError {
  /** The embedded database folder that was looked for. */
  readonly directory: string;

  constructor(directory: string) {
    super(
      NO_DATABASE,
      `no database to read: set DATABASE_URL (or --database-url) to your PostgreSQL server, or point --pglite at an ` +
        `embedded database; there is none in ${directory} (create one with \`sagaflow migrate --pglite ${directory}\` or \`npm run demo\`)`,
    );
    this.directory = directory;
  }
}
