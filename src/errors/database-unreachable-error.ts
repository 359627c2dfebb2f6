import { SagaflowError } from './sagaflow-error.ts';

export const DATABASE_UNREACHABLE = 'SAGA_DATABASE_UNREACHABLE';

/** A tool could not open a connection to the database it was pointed at. */
export class DatabaseUnreachableError extends SagaflowError {
  /** The URL with any password masked. */
  readonly url: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(
      DATABASE_UNREACHABLE,
      `cannot connect to ${url}: ${reason}; check --database-url / DATABASE_URL (postgresql://user:password@host:5432/database) and that the server is running`,
      options,
    );
    this.url = url;
  }
}
