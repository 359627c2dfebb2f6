/**
 * `sagaflow/client` against a served API (a real HTTP server on a free port, PostgreSQL behind it):
 * typed publishing, idempotent retries, reading instances, waiting for a state with a timeout, and
 * errors as `SagaflowApiError` with the server's own codes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SagaOperations, SagaOrchestrator } from '../../src/index.ts';
import { serveSagaflow, type SagaflowServer } from '../../src/http/index.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createSagaflowClient, ingressEvent, SagaflowApiError, WaitTimeoutError } from '../../src/client/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { CheckoutSaga, CheckoutStarted, Heartbeat, PaymentSucceeded } from '../http/ingress-fixtures.ts';

const VIEWER = 'viewer-token-h19a-client-01';
const INGRESS = 'ingress-token-h19a-client-1';

let db: TestDatabase;
let repository: PrismaSagaRepository;
let orchestrator: SagaOrchestrator;
let server: SagaflowServer;

beforeAll(async () => {
  db = await createTestDatabase();
  repository = await createPrismaRepository({ databaseUrl: db.url, cache: false });
  orchestrator = new SagaOrchestrator({ sagas: [CheckoutSaga], repository, onError: () => {} });
  server = await serveSagaflow({
    ops: new SagaOperations({ repository, sagas: [CheckoutSaga], orchestrator }),
    port: 0,
    dashboard: false,
    principals: [
      { name: 'grafana', role: 'viewer', token: VIEWER },
      { name: 'shop', role: 'ingress', token: INGRESS },
    ],
    onError: () => {},
  });
});

afterAll(async () => {
  await server.close();
  await orchestrator.close();
  await repository.close();
  await db.drop();
});

describe('sagaflow/client', () => {
  it('publishes typed events and waits for the instance to reach a state', async () => {
    const shop = createSagaflowClient({ baseUrl: server.url, token: INGRESS });
    const watcher = createSagaflowClient({ baseUrl: `${server.url}/`, token: async () => VIEWER });
    const waiting = watcher.waitForState({ saga: 'checkout', correlationId: 'k-1' }, ['Paid'], { timeoutMs: 20_000, pollIntervalMs: 50 });
    expect(await shop.publish(CheckoutStarted, { amount: 5, currency: 'USD' }, { correlationId: 'k-1', messageId: 'k-1-start' })).toMatchObject({
      outcome: 'handled',
      sagas: [{ state: 'AwaitingPayment', created: true }],
    });
    await shop.publish(PaymentSucceeded, { checkoutId: 'k-1', reference: 'tx-k-1' });
    const paid = await waiting;
    expect(paid).toMatchObject({ sagaName: 'checkout', correlationId: 'k-1', state: 'Paid', version: 2 });

    const detail = await watcher.instance(paid.id);
    expect(detail.history.map((h) => h.eventType)).toEqual(['CheckoutStarted', 'PaymentSucceeded']);
    expect((await watcher.list({ saga: 'checkout', state: 'Paid' })).items.map((i) => i.correlationId)).toContain('k-1');
    expect(await watcher.find('checkout', 'no-such-checkout')).toBeNull();
    // By id too, once it exists.
    expect((await watcher.waitForState({ id: paid.id }, 'Paid')).id).toBe(paid.id);
  });

  it('makes retries safe with a message id, one at a time or in a batch', async () => {
    const shop = createSagaflowClient({ baseUrl: server.url, token: INGRESS });
    const first = await shop.publish(CheckoutStarted, { amount: 7, currency: 'EUR' }, { correlationId: 'k-2', messageId: 'k-2-start' });
    const again = await shop.publish(CheckoutStarted, { amount: 7, currency: 'EUR' }, { correlationId: 'k-2', messageId: 'k-2-start' });
    expect([first.outcome, again.outcome]).toEqual(['handled', 'duplicate']);
    const batch = await shop.publishBatch([
      ingressEvent(CheckoutStarted, { amount: 7, currency: 'EUR' }, { correlationId: 'k-2', messageId: 'k-2-start' }),
      ingressEvent(Heartbeat, { checkoutId: 'k-2' }),
    ]);
    expect(batch.results.map((r) => ('outcome' in r ? r.outcome : r.error.code))).toEqual(['duplicate', 'ignored']);
  });

  it('gives up waiting after the timeout with what it saw last', async () => {
    const shop = createSagaflowClient({ baseUrl: server.url, token: INGRESS });
    const watcher = createSagaflowClient({ baseUrl: server.url, token: VIEWER });
    await shop.publish(CheckoutStarted, { amount: 1, currency: 'EUR' }, { correlationId: 'k-3' });
    const error = await watcher.waitForState({ saga: 'checkout', correlationId: 'k-3' }, 'Paid', { timeoutMs: 300, pollIntervalMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error).toMatchObject({ code: 'SAGA_WAIT_TIMEOUT', states: ['Paid'], last: { state: 'AwaitingPayment', status: 'active' } });
    const never = await watcher.waitForState({ saga: 'checkout', correlationId: 'k-none' }, 'Paid', { timeoutMs: 100, pollIntervalMs: 20 }).catch((e: unknown) => e);
    expect(never).toMatchObject({ code: 'SAGA_WAIT_TIMEOUT', last: null });
    const aborted = await watcher
      .waitForState({ saga: 'checkout', correlationId: 'k-3' }, 'Paid', { timeoutMs: 20_000, signal: AbortSignal.timeout(100) })
      .catch((e: unknown) => e);
    expect((aborted as Error).name).toBe('TimeoutError');
  });

  it("throws the server's problems as SagaflowApiError with their codes", async () => {
    const shop = createSagaflowClient({ baseUrl: server.url, token: INGRESS });
    // @ts-expect-error the compiler refuses it too: the server's schema is the last word
    const invalid = await shop.publish(CheckoutStarted, { amount: 'x', currency: 'EUR' }, { correlationId: 'k-4' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(SagaflowApiError);
    expect(invalid).toMatchObject({ status: 422, code: 'SAGA_PAYLOAD_INVALID', details: [{ path: ['amount'] }] });
    // An ingress token reads nothing.
    expect(await shop.list().catch((e: unknown) => e)).toMatchObject({ status: 403, code: 'SAGA_FORBIDDEN' });
    const anonymous = createSagaflowClient({ baseUrl: server.url });
    expect(await anonymous.find('checkout', 'k-1').catch((e: unknown) => e)).toMatchObject({ status: 401, code: 'SAGA_UNAUTHORIZED' });
  });

  it('says SAGA_HTTP_ERROR for an answer that is no Sagaflow problem, or no answer at all', async () => {
    const proxy: Server = createServer((_, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const behindProxy = createSagaflowClient({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
      expect(await behindProxy.find('checkout', 'k-1').catch((e: unknown) => e)).toMatchObject({ status: 502, code: 'SAGA_HTTP_ERROR' });
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
    // A port nobody listens on any more: the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = createSagaflowClient({ baseUrl: `http://127.0.0.1:${port}` });
    expect(await nowhere.publish(Heartbeat, { checkoutId: 'k-1' }).catch((e: unknown) => e)).toMatchObject({ status: 0, code: 'SAGA_HTTP_ERROR' });
  });
});
