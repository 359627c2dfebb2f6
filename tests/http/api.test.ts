import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { operatorOrchestrator, SagaOperations, type SagaOrchestrator } from '../../src/index.ts';
import { createSagaflowApi, type SagaflowApi } from '../../src/http/index.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { OrderSaga, seed, TransferSaga, type Seeded } from '../ops/fixtures.ts';

let db: TestDatabase;
let repository: PrismaSagaRepository;
let seeded: Seeded;
let orchestrator: SagaOrchestrator;
/** No orchestrator: reads, and replays that queue. */
let api: SagaflowApi;
/** With an orchestrator and a token. */
let full: SagaflowApi;
const TOKEN = 's3cret-token';
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
const REASON = JSON.stringify({ reason: 'test' });

beforeAll(async () => {
  db = await createTestDatabase();
  repository = await createPrismaRepository({ databaseUrl: db.url, cache: false });
  seeded = await seed(repository);
  orchestrator = operatorOrchestrator({ sagas: [OrderSaga, TransferSaga], repository });
  api = createSagaflowApi(new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga] }), { dashboard: false });
  full = createSagaflowApi(new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga], orchestrator }), { token: TOKEN });
});

afterAll(async () => {
  await api.close();
  await full.close();
  await orchestrator.close();
  await repository.close();
  await db.drop();
});

async function json(app: Hono, path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await app.request(path, init);
  return { status: response.status, body: await response.json() };
}

async function instanceId(correlationId: string): Promise<string> {
  return (await json(api, `/api/instances?correlationId=${correlationId}`)).body.items[0].id;
}

describe('HTTP API: queries', () => {
  it('lists handled commands with filters and answers one by id, 404 for an unknown one', async () => {
    const failed = await json(api, '/api/commands?status=failed&type=Verify');
    expect(failed.status).toBe(200);
    expect(failed.body.items.map((c: { id: string }) => c.id)).toEqual([seeded.commands.failed]);
    expect(failed.body.items[0]).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'BLOCKED', message: 'blocked card' }, finishedAt: expect.any(String) });
    const one = await json(api, `/api/commands/${seeded.commands.completed}`);
    expect(one.body.command).toMatchObject({ id: seeded.commands.completed, status: 'completed', output: { checked: true } });
    expect((await json(api, '/api/commands/nope')).body.error.code).toBe('SAGA_COMMAND_NOT_FOUND');
    expect((await json(api, '/api/commands/nope')).status).toBe(404);
    expect((await json(api, '/api/commands?status=bogus')).status).toBe(400);
  });

  it('answers meta, sagas with states and counts, and stats', async () => {
    expect(await json(api, '/api/meta')).toEqual({ status: 200, body: { readOnly: false, version: '0.1.0', principal: { name: 'anonymous', role: 'operator' } } });
    const { body } = await json(api, '/api/sagas');
    expect(body.sagas.map((s: { name: string }) => s.name)).toEqual(['order', 'transfer']);
    expect(body.sagas[0]).toMatchObject({ name: 'order', total: 6, finalStates: expect.arrayContaining(['Completed', 'Failed']) });
    expect(body.sagas[0].states).toContain('AwaitingShipment');
    expect(body.sagas[1].counts).toEqual([{ state: 'Cancelled', status: 'compensation_failed', count: 1 }]);
    const stats = await json(api, '/api/stats?saga=transfer');
    expect(stats.body).toEqual({ counts: [{ sagaName: 'transfer', state: 'Cancelled', status: 'compensation_failed', count: 1 }] });
  });

  it('lists instances with filters and pages through them with cursors', async () => {
    const active = await json(api, '/api/instances?saga=order&status=active,compensating&order=asc');
    expect(active.body.items.map((i: { correlationId: string }) => i.correlationId)).toEqual([seeded.waiting, seeded.late]);
    expect(active.body.nextCursor).toBeNull();
    expect(Object.keys(active.body.items[0]).sort()).toEqual(
      ['completedAt', 'correlationId', 'createdAt', 'definitionVersion', 'error', 'id', 'sagaName', 'state', 'status', 'updatedAt', 'version'].sort(),
    );
    expect(active.body.items[0].definitionVersion).toBe(1);
    expect((await json(api, '/api/instances?definitionVersion=1&limit=100')).body.items).toHaveLength(7);
    expect((await json(api, '/api/instances?definitionVersion=2')).body.items).toEqual([]);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await json(
        api,
        `/api/instances?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      ids.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(ids).size).toBe(7);
    expect((await json(api, '/api/instances?staleForMs=3600000')).body.items).toEqual([]);
    expect((await json(api, '/api/instances?state=Failed&correlationId=order-3-a')).body.items).toHaveLength(1);
  });

  it('shows one instance with its history, compensation stack and schedules', async () => {
    const id = await instanceId(seeded.transfer);
    const { status, body } = await json(api, `/api/instances/${id}`);
    expect(status).toBe(200);
    expect(body.instance).toMatchObject({ id, status: 'compensation_failed', dataVersion: 1, schedules: [], compensation: [{ name: 'undebit', args: { amount: 30 }, attempts: 1 }] });
    expect(body.history[0]).toEqual({
      sequence: 1,
      messageId: expect.any(String),
      eventType: 'TransferStarted',
      stateBefore: null,
      stateAfter: 'Debited',
      payload: { transferId: seeded.transfer, amount: 30 },
      at: expect.stringMatching(/Z$/),
      sent: [],
    });
  });

  it('draws diagrams as Mermaid or DOT text, or the XState config as JSON', async () => {
    const mermaid = await api.request('/api/sagas/order/diagram?highlight=AwaitingPayment');
    expect(mermaid.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await mermaid.text()).toMatch(/^stateDiagram-v2[\s\S]*class AwaitingPayment current/);
    const dot = await api.request('/api/sagas/order/diagram?format=dot');
    expect(await dot.text()).toMatch(/^digraph "order" \{/);
    const config = await json(api, '/api/sagas/order/diagram?format=json');
    expect(config.body).toMatchObject({ id: 'order', initial: 'Initial', states: { Completed: { type: 'final' } } });
  });

  it('answers 400 for malformed queries and 404 for what does not exist, with stable codes', async () => {
    for (const path of [
      '/api/instances?limit=0',
      '/api/instances?limit=1001',
      '/api/instances?status=active,sleeping',
      '/api/instances?order=sideways',
      '/api/instances?staleForMs=-1',
      '/api/dead-letters?reason=bored',
      '/api/sagas/order/diagram?format=png',
    ]) {
      const { status, body } = await json(api, path);
      expect([path, status, body.error.code]).toEqual([path, 400, 'SAGA_BAD_REQUEST']);
      expect(body.error.message.length).toBeGreaterThan(5);
    }
    expect((await json(api, '/api/instances/0190d3c4-0000-7000-8000-000000000000')).body.error.code).toBe('SAGA_NOT_FOUND');
    expect((await json(api, '/api/instances/not-a-uuid')).status).toBe(404);
    const saga = await json(api, '/api/sagas/nope/diagram');
    expect(saga).toMatchObject({ status: 404, body: { error: { code: 'SAGA_UNKNOWN_SAGA' } } });
    const letter = await json(api, '/api/dead-letters/0190d3c4-0000-7000-8000-000000000000');
    expect(letter).toMatchObject({ status: 404, body: { error: { code: 'SAGA_DEAD_LETTER_NOT_FOUND' } } });
    expect(await json(api, '/api/nothing-here')).toMatchObject({ status: 404, body: { error: { code: 'SAGA_NOT_FOUND' } } });
  });
});

describe('HTTP API: actions', () => {
  it('lists, shows, replays (queued without an orchestrator) and discards dead letters', async () => {
    const list = await json(api, '/api/dead-letters?reason=rejected');
    expect(list.body.items.map((d: { id: string }) => d.id)).toEqual([seeded.lateLetter]);
    expect(list.body.nextCursor).toBeNull();
    const one = await json(api, `/api/dead-letters/${seeded.lateLetter}`);
    expect(one.body.deadLetter).toMatchObject({ id: seeded.lateLetter, messageType: 'PaymentProcessed', createdAt: expect.stringMatching(/Z$/) });

    const replay = await json(api, `/api/dead-letters/${seeded.lateLetter}/replay`, { method: 'POST', body: REASON });
    expect(replay).toMatchObject({ status: 200, body: { result: { outcome: 'queued', type: 'PaymentProcessed' } } });
    expect((await json(api, `/api/dead-letters/${seeded.lateLetter}`)).status).toBe(404);

    const discard = await json(api, `/api/dead-letters/${seeded.unknownLetter}`, { method: 'DELETE', body: REASON });
    // The letter names no instance (it came before its order existed): no history to record it in.
    expect(discard).toEqual({ status: 200, body: { discarded: true, audit: null } });
    expect((await json(api, `/api/dead-letters/${seeded.unknownLetter}`, { method: 'DELETE', body: REASON })).status).toBe(404);
  });

  it('refuses actions that cannot apply: 409 without an orchestrator or outside compensation_failed, 422 for a replay that fails again', async () => {
    const transfer = await instanceId(seeded.transfer);
    const waiting = await instanceId(seeded.waiting);
    const noOrchestrator = await json(api, `/api/instances/${transfer}/retry-compensation`, { method: 'POST', body: REASON });
    expect(noOrchestrator).toMatchObject({ status: 409, body: { error: { code: 'SAGA_ORCHESTRATOR_REQUIRED' } } });
    const notFailed = await json(full, `/api/instances/${waiting}/retry-compensation`, { method: 'POST', body: REASON, ...auth });
    expect(notFailed).toMatchObject({ status: 409, body: { error: { code: 'SAGA_NOT_COMPENSATION_FAILED' } } });
    const retried = await json(full, `/api/instances/${transfer}/retry-compensation`, { method: 'POST', body: REASON, ...auth });
    expect(retried).toMatchObject({ status: 200, body: { result: { steps: 0, error: { code: 'SAGA_COMPENSATION_FAILED' } } } });

    const more = await seed(repository, 'h');
    const failing = await json(full, `/api/dead-letters/${more.unknownLetter}/replay`, { method: 'POST', body: REASON, ...auth });
    expect(failing).toMatchObject({ status: 422, body: { error: { code: 'SAGA_UNKNOWN_EVENT' } } });
    const replayed = await json(full, `/api/dead-letters/${more.lateLetter}/replay`, { method: 'POST', body: REASON, ...auth });
    expect(replayed).toMatchObject({ status: 200, body: { result: { outcome: 'dispatched', dispatch: { type: 'PaymentProcessed' } } } });
  });
});

describe('HTTP API: token and read-only mode', () => {
  it('needs the bearer token on every /api route, but not for the dashboard page', async () => {
    const missing = await json(full, '/api/meta');
    expect(missing).toMatchObject({ status: 401, body: { error: { code: 'SAGA_UNAUTHORIZED' } } });
    const wrong = await json(full, '/api/sagas', { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await json(full, '/api/sagas', auth)).status).toBe(200);
    // Only the event stream takes the token in the URL.
    expect((await full.request(`/api/sagas?access_token=${TOKEN}`)).status).toBe(401);
    const page = await full.request('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('refuses every action in read-only mode and says so in meta', async () => {
    const readOnly = createSagaflowApi(new SagaOperations({ repository }), { readOnly: true, dashboard: false });
    try {
      expect((await json(readOnly, '/api/meta')).body.readOnly).toBe(true);
      expect((await json(readOnly, '/api/instances')).status).toBe(200);
      const id = (await json(readOnly, '/api/dead-letters')).body.items[0]?.id ?? 'x';
      for (const [method, path] of [
        ['POST', `/api/dead-letters/${id}/replay`],
        ['DELETE', `/api/dead-letters/${id}`],
        ['POST', `/api/instances/${await instanceId(seeded.transfer)}/retry-compensation`],
      ] as const) {
        expect(await json(readOnly, path, { method })).toMatchObject({ status: 403, body: { error: { code: 'SAGA_READ_ONLY' } } });
      }
    } finally {
      await readOnly.close();
    }
  });

  it('mounts in a host application under a prefix, errors included', async () => {
    const host = new Hono();
    host.get('/', (c) => c.text('host app'));
    host.route('/sagaflow', api);
    expect(await (await host.request('/')).text()).toBe('host app');
    expect((await json(host, '/sagaflow/api/meta')).body.version).toBe('0.1.0');
    expect(await json(host, '/sagaflow/api/sagas/nope/diagram')).toMatchObject({ status: 404, body: { error: { code: 'SAGA_UNKNOWN_SAGA' } } });
  });
});
