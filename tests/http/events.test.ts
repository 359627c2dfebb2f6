import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SagaOperations, SagaOrchestrator } from '../../src/index.ts';
import { serveSagaflow, type SagaflowServer } from '../../src/http/index.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { OrderCreated, OrderSaga } from '../../examples/order-saga.ts';

let db: TestDatabase;
let served: PrismaSagaRepository;
/** Another connection pool, as a worker process would have. */
let worker: PrismaSagaRepository;
let orchestrator: SagaOrchestrator;
let server: SagaflowServer;
const TOKEN = 'stream-token';

beforeAll(async () => {
  db = await createTestDatabase();
  served = await createPrismaRepository({ databaseUrl: db.url, cache: false });
  worker = await createPrismaRepository({ databaseUrl: db.url });
  orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository: worker, onError: () => {} });
  server = await serveSagaflow({ ops: new SagaOperations({ repository: served, sagas: [OrderSaga] }), port: 0, token: TOKEN, pollIntervalMs: 50, pingIntervalMs: 200 });
});

afterAll(async () => {
  await server.close();
  await orchestrator.close();
  await worker.close();
  await served.close();
  await db.drop();
});

/** Reads an event stream, and waits for text in it. */
async function openStream(url: string, init?: RequestInit) {
  const abort = new AbortController();
  const response = await fetch(url, { ...init, signal: abort.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const until = async (predicate: (text: string) => boolean) => {
    const deadline = Date.now() + 15_000;
    while (!predicate(text)) {
      if (Date.now() > deadline) throw new Error(`timed out; stream so far:\n${text}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended:\n${text}`);
      text += value;
    }
    return text;
  };
  return { response, until, close: () => abort.abort(), text: () => text };
}

function events(text: string, name: string): unknown[] {
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').includes(`event: ${name}`))
    .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
}

describe('GET /api/events', () => {
  it('streams an instance event when another process changes an instance, then stats, and pings', async () => {
    const stream = await openStream(`${server.url}/api/events?access_token=${TOKEN}`);
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await stream.until((t) => t.includes(': ready'));
      await orchestrator.publish(OrderCreated, { orderId: 'live-1', customerId: 'c', total: 3, items: [{ sku: 'A', quantity: 1 }] });
      await stream.until((t) => events(t, 'instance').length > 0 && events(t, 'stats').length > 0);
      expect(events(stream.text(), 'instance')[0]).toMatchObject({
        sagaName: 'order',
        correlationId: 'live-1',
        state: 'AwaitingPayment',
        status: 'active',
        version: 1,
        updatedAt: expect.stringMatching(/Z$/),
      });
      expect(events(stream.text(), 'stats')[0]).toEqual({ counts: [{ sagaName: 'order', state: 'AwaitingPayment', status: 'active', count: 1 }] });
      await stream.until((t) => t.includes(': ping'));
    } finally {
      stream.close();
    }
  });

  it('takes the token as a bearer header too, and refuses a stream without one', async () => {
    const refused = await fetch(`${server.url}/api/events`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'SAGA_UNAUTHORIZED' } });
    const stream = await openStream(`${server.url}/api/events`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    try {
      await stream.until((t) => t.includes(': ready'));
      await orchestrator.publish(OrderCreated, { orderId: 'live-2', customerId: 'c', total: 3, items: [{ sku: 'A', quantity: 1 }] });
      await stream.until((t) => t.includes('"correlationId":"live-2"'));
      expect(stream.text()).not.toContain('"correlationId":"live-1"');
    } finally {
      stream.close();
    }
  });
});
