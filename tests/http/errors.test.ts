/**
 * What the API tells a client when something goes wrong: a forged cursor is a 400 with its own code
 * (it used to reach PostgreSQL and come back as its error text), and a 500 says nothing but an error id
 * that the server logs with the details.
 */
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { MissingTablesError, SagaOperations, TransientStoreError } from '../../src/index.ts';
import { createSagaflowApi, problemOf } from '../../src/http/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';
import { OrderSaga, seed, TransferSaga } from '../ops/fixtures.ts';

const db = useTestDatabase();
const forge = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const UUID = '0190d3c4-0000-7000-8000-000000000000';

/** The API over this file's database, and what it reported through `onError`. */
async function api() {
  const repository = await db.repository({ cache: false });
  const reported: Array<{ error: unknown; errorId: string | undefined }> = [];
  const app = createSagaflowApi(new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga] }), {
    dashboard: false,
    onError: (error, context) => reported.push({ error, errorId: context?.errorId }),
  });
  return { app, reported, repository };
}

describe('HTTP API: errors', () => {
  it('answers a forged or malformed cursor with 400 SAGA_CURSOR_INVALID on every list, before any query', async () => {
    const { app, reported, repository } = await api();
    await seed(repository);
    const cursors = [
      forge(`+275760-09-13T00:00:00.000Z|${UUID}`), // far future: PostgreSQL said "time zone displacement out of range"
      forge(`-271821-04-20T00:00:00.000Z|${UUID}`),
      forge('2020-01-01T00:00:00.000Z|a\u0000b'), // a NUL: "invalid byte sequence for encoding UTF8" on commands
      forge(`2020|${UUID}`),
      forge('2020-01-01T00:00:00.000Z|not-a-uuid'),
      'not-a-cursor',
      'x'.repeat(5000),
    ];
    for (const list of ['instances', 'dead-letters', 'commands']) {
      for (const cursor of cursors) {
        const response = await app.request(`/api/${list}?cursor=${encodeURIComponent(cursor)}`);
        const body = (await response.json()) as { error: { code: string; message: string } };
        // (not-a-uuid is a valid command id: command ids are the caller's)
        if (list === 'commands' && cursor === forge('2020-01-01T00:00:00.000Z|not-a-uuid')) {
          expect(response.status).toBe(200);
          continue;
        }
        expect([list, cursor.slice(0, 40), response.status, body.error.code]).toEqual([list, cursor.slice(0, 40), 400, 'SAGA_CURSOR_INVALID']);
        expect(body.error.message).not.toMatch(/displacement|byte sequence|postgres|SQL/i);
      }
    }
    expect(reported).toEqual([]);
    // A cursor the API gave still works.
    const first = (await (await app.request('/api/instances?limit=2')).json()) as { nextCursor: string };
    expect((await app.request(`/api/instances?limit=2&cursor=${first.nextCursor}`)).status).toBe(200);
    await app.close();
  });

  it('answers a 500 with a generic message and an error id, and reports the details under that id', async () => {
    const { app, reported } = await api();
    // Break the store under the API, as a bad deployment would: the driver then fails with SQL text.
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query('ALTER TABLE sagaflow_commands RENAME COLUMN command_type TO renamed_type');
    await admin.end();

    const response = await app.request('/api/commands');
    expect(response.status).toBe(500);
    const text = await response.text();
    const body = JSON.parse(text) as { error: { code: string; message: string; details: { errorId: string } } };
    expect(body.error.code).toBe('SAGA_INTERNAL');
    expect(body.error.details.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.error.message).toBe(`internal error ${body.error.details.errorId}: the server logged the details under this id`);
    expect(text).not.toMatch(/command_type|column|sagaflow_commands|SELECT|DriverAdapter/i);

    expect(reported).toHaveLength(1);
    expect(reported[0]!.errorId).toBe(body.error.details.errorId);
    // The log gets the driver's own error (here the adapter's ColumnNotFound), which the client never sees.
    expect(String((reported[0]!.error as Error).message)).toMatch(/ColumnNotFound|command_type/);

    // Each failure has its own id.
    const again = (await (await app.request('/api/commands')).json()) as { error: { details: { errorId: string } } };
    expect(again.error.details.errorId).not.toBe(body.error.details.errorId);
    await app.close();
  });

  it('answers the store\'s own failures, whose messages quote the driver, like a 500: 503 when they may pass', () => {
    const driver = new Error('could not serialize access due to concurrent update (SELECT * FROM sagaflow_instances)');
    const transient = problemOf(new TransientStoreError('40001', driver));
    expect(transient.status).toBe(503);
    const missing = problemOf(new MissingTablesError(['sagaflow_instances']));
    expect(missing.status).toBe(500);
    for (const answer of [transient, missing]) {
      expect(answer.body.error.code).toBe('SAGA_INTERNAL');
      expect(JSON.stringify(answer.body)).not.toMatch(/serialize|sagaflow_instances|SELECT/);
    }
  });
});
