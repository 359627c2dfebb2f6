/**
 * Test files that use the local RabbitMQ take turns: the cluster test stops and restarts the whole
 * broker, which would break any other broker test running in the other vitest worker at that moment.
 * The turn is a PostgreSQL advisory lock (the database is always there), held from the file's first
 * hook to its last.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { ADMIN_URL } from './postgres.ts';

const BROKER_LOCK = 74_311_902; // any constant shared by the files that take turns

/** Call at the top of a test file, before its own hooks. */
export function holdBrokerForThisFile(): void {
  let client: pg.Client | undefined;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    await client.query('SELECT pg_advisory_lock($1)', [BROKER_LOCK]);
  }, 180_000);
  afterAll(async () => {
    // Closing the session releases the lock.
    await client?.end();
  });
}
