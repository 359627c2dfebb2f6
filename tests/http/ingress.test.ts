/**
 * The HTTP ingress on a real PostgreSQL store: events published through `POST /api/ingress/events`
 * (and `/batch`) are validated, dispatched and answered with what they did; a redelivery is a
 * `duplicate`, never a second transition; bad requests get problem+json with stable codes and nothing
 * of the server's internals; only principals with the `ingest` permission get through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SagaOperations, SagaOrchestrator } from '../../src/index.ts';
import { createSagaflowApi, type PrincipalConfig, type SagaflowApi } from '../../src/http/index.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { Capture, CheckoutSaga, SECRET_FAILURE } from './ingress-fixtures.ts';

const OPERATOR = 'operator-token-h19a-0123456789';
const VIEWER = 'viewer-token-h19a-0123456789';
const INGRESS = 'ingress-token-h19a-0123456789';
const principals: PrincipalConfig[] = [
  { name: 'alice', role: 'operator', token: OPERATOR },
  { name: 'grafana', role: 'viewer', token: VIEWER },
  { name: 'psp-webhook', role: 'ingress', token: INGRESS },
];

let db: TestDatabase;
let repository: PrismaSagaRepository;
let orchestrator: SagaOrchestrator;
let api: SagaflowApi;
const logged: Array<{ error: unknown; errorId?: string }> = [];

beforeAll(async () => {
  db = await createTestDatabase();
  repository = await createPrismaRepository({ databaseUrl: db.url, cache: false });
  orchestrator = new SagaOrchestrator({ sagas: [CheckoutSaga], repository, maxPayloadBytes: 4096, onError: () => {} });
  orchestrator.handle(Capture, () => ({}));
  const ops = new SagaOperations({ repository, sagas: [CheckoutSaga], orchestrator });
  api = createSagaflowApi(ops, {
    principals,
    dashboard: false,
    ingress: { maxBodyBytes: 8192, maxBatchEvents: 3 },
    onError: (error, context) => logged.push({ error, ...(context && { errorId: context.errorId }) }),
  });
});

afterAll(async () => {
  await api.close();
  await orchestrator.close();
  await repository.close();
  await db.drop();
});

interface Answer {
  status: number;
  type: string | null;
  body: any;
}

async function post(path: string, body: unknown, token = INGRESS, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await api.request(path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
}

const start = (checkoutId: string, messageId?: string) => ({
  type: 'CheckoutStarted',
  payload: { amount: 20, currency: 'EUR' },
  correlationId: checkoutId,
  ...(messageId !== undefined && { messageId }),
});

async function historyOf(checkoutId: string) {
  const record = await repository.findByCorrelation('checkout', checkoutId);
  return record === null ? [] : repository.history(record.id);
}

describe('POST /api/ingress/events', () => {
  it('publishes a correlated event and answers what the saga did', async () => {
    const answer = await post('/api/ingress/events', start('c-1', 'm-c-1'));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      outcome: 'handled',
      messageId: 'm-c-1',
      type: 'CheckoutStarted',
      sagas: [{ saga: 'checkout', correlationId: 'c-1', result: 'applied', state: 'AwaitingPayment', status: 'active', created: true }],
    });
    const stored = await repository.findByCorrelation('checkout', 'c-1');
    expect(stored).toMatchObject({ state: 'AwaitingPayment', version: 1, id: answer.body.sagas[0].instanceId });
  });

  it('answers a redelivered message id with duplicate, in any state, and never applies it twice', async () => {
    expect((await post('/api/ingress/events', start('c-2', 'm-c-2'))).body.outcome).toBe('handled');
    // Same id, same state: the inbox refuses it.
    expect((await post('/api/ingress/events', start('c-2', 'm-c-2'))).body).toMatchObject({ outcome: 'duplicate', sagas: [{ result: 'duplicate' }] });
    const paid = { type: 'PaymentSucceeded', payload: { checkoutId: 'c-2', reference: 'tx-1' }, messageId: 'm-pay-2' };
    expect((await post('/api/ingress/events', paid)).body.sagas[0]).toMatchObject({ result: 'applied', state: 'Paid' });
    // The instance moved on: the start is now a redelivery into a state without a handler for it, the
    // payment one into a state that ignore()s it. Both are duplicates, and nothing was written.
    expect((await post('/api/ingress/events', start('c-2', 'm-c-2'))).body.outcome).toBe('duplicate');
    expect((await post('/api/ingress/events', paid)).body).toMatchObject({ outcome: 'duplicate', sagas: [{ result: 'duplicate', instanceId: expect.any(String) }] });
    // A new payment notice in that state is ignored, not a duplicate.
    expect((await post('/api/ingress/events', { ...paid, messageId: 'm-pay-2b' })).body).toMatchObject({ outcome: 'ignored', sagas: [{ reason: 'ignored', state: 'Paid' }] });
    expect((await historyOf('c-2')).map((h) => h.messageId)).toEqual(['m-c-2', 'm-pay-2']);
  });

  it('takes a burst of the same webhook delivered at once exactly once', async () => {
    await post('/api/ingress/events', start('c-3', 'm-c-3'));
    const paid = { type: 'PaymentSucceeded', payload: { checkoutId: 'c-3', reference: 'tx-3' }, messageId: 'm-pay-3' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => post('/api/ingress/events', paid)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.outcome === 'handled')).toHaveLength(1);
    expect(answers.filter((a) => a.body.outcome === 'duplicate')).toHaveLength(5);
    expect(await historyOf('c-3')).toHaveLength(2);
  });

  it('says ignored for an event the state ignores, and gives a new message id when none was sent', async () => {
    await post('/api/ingress/events', start('c-4'));
    const answer = await post('/api/ingress/events', { type: 'Heartbeat', payload: { checkoutId: 'c-4' } });
    expect(answer.body).toMatchObject({ outcome: 'ignored', sagas: [{ result: 'ignored', reason: 'ignored', state: 'AwaitingPayment' }] });
    expect(answer.body.messageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a payload that fails the event schema with 422 problem+json listing the issues', async () => {
    const answer = await post('/api/ingress/events', { type: 'CheckoutStarted', payload: { amount: -1, currency: 'GBP' }, correlationId: 'c-bad' });
    expect(answer.status).toBe(422);
    expect(answer.type).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ type: 'urn:sagaflow:problem:SAGA_PAYLOAD_INVALID', status: 422, code: 'SAGA_PAYLOAD_INVALID' });
    expect(answer.body.error.code).toBe('SAGA_PAYLOAD_INVALID');
    expect(answer.body.error.details.map((i: { path: string[] }) => i.path.join('.')).sort()).toEqual(['amount', 'currency']);
    expect(await repository.findByCorrelation('checkout', 'c-bad')).toBeNull();
  });

  it('refuses malformed requests with 400 and 415', async () => {
    expect(await post('/api/ingress/events', '{"type": "Checkout')).toMatchObject({ status: 400, body: { code: 'SAGA_BAD_REQUEST' } });
    const missing = await post('/api/ingress/events', { payload: {} });
    expect(missing).toMatchObject({ status: 400, body: { code: 'SAGA_BAD_REQUEST' } });
    expect(missing.body.detail).toContain('type');
    expect(await post('/api/ingress/events', { ...start('c-x'), extra: 1 })).toMatchObject({ status: 400 });
    expect(await post('/api/ingress/events', { type: 'sagaflow.compensation.step', payload: {} })).toMatchObject({ status: 400 });
    expect(await post('/api/ingress/events', JSON.stringify(start('c-x')), INGRESS, { 'Content-Type': 'text/plain' })).toMatchObject({
      status: 415,
      body: { code: 'SAGA_BAD_REQUEST' },
    });
  });

  it('refuses an event type no saga handles, and a command, without listing what is handled', async () => {
    for (const type of ['NobodyHandlesThis', 'Capture']) {
      const answer = await post('/api/ingress/events', { type, payload: { checkoutId: 'c-1' }, correlationId: 'c-1' });
      expect(answer).toMatchObject({ status: 422, body: { code: 'SAGA_UNKNOWN_EVENT' } });
      expect(answer.body.detail).not.toContain('CheckoutStarted');
    }
  });

  it('bounds the body (413 before parsing) and the payload (413 from the orchestrator)', async () => {
    const huge = await post('/api/ingress/events', { ...start('c-big'), payload: { amount: 1, currency: 'EUR', pad: 'x'.repeat(10_000) } });
    expect(huge).toMatchObject({ status: 413, type: 'application/problem+json', body: { code: 'SAGA_PAYLOAD_TOO_LARGE' } });
    // Under the body limit, over the orchestrator's maxPayloadBytes of 4096.
    const large = await post('/api/ingress/events', { ...start('c-big'), payload: { amount: 1, currency: 'EUR', pad: 'x'.repeat(5000) } });
    expect(large).toMatchObject({ status: 413, body: { code: 'SAGA_PAYLOAD_TOO_LARGE' } });
    // A chunked body has no Content-Length to trust: counted as it arrives.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        controller.close();
      },
    });
    const response = await api.request('/api/ingress/events', {
      method: 'POST',
      headers: { Authorization: `Bearer ${INGRESS}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await repository.findByCorrelation('checkout', 'c-big')).toBeNull();
  });

  it('answers a failing action with its code only, and logs the details under the errorId it gives', async () => {
    await post('/api/ingress/events', start('c-5', 'm-c-5'));
    const answer = await post('/api/ingress/events', { type: 'PaymentSucceeded', payload: { checkoutId: 'c-5', reference: 'explode' }, messageId: 'm-pay-5' });
    expect(answer).toMatchObject({ status: 422, body: { code: 'SAGA_ACTION_FAILED' } });
    expect(JSON.stringify(answer.body)).not.toContain('psp-internal');
    const errorId = answer.body.error.details.errorId as string;
    const entry = logged.find((l) => l.errorId === errorId);
    expect(String((entry?.error as Error).message)).toContain(SECRET_FAILURE);
    // Nothing was written: the same id may be sent again once the cause is fixed.
    expect((await historyOf('c-5')).map((h) => h.messageId)).toEqual(['m-c-5']);
  });
});

describe('POST /api/ingress/events/batch', () => {
  it('publishes events in order, each with its own result, one failure stopping nothing', async () => {
    const answer = await post('/api/ingress/events/batch', {
      events: [
        start('c-6', 'm-c-6'),
        { type: 'CheckoutStarted', payload: { amount: 0, currency: 'EUR' }, correlationId: 'c-7' },
        { type: 'PaymentSucceeded', payload: { checkoutId: 'c-6', reference: 'tx-6' }, messageId: 'm-pay-6' },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results).toMatchObject([
      { index: 0, outcome: 'handled' },
      { index: 1, error: { code: 'SAGA_PAYLOAD_INVALID' } },
      { index: 2, outcome: 'handled', sagas: [{ state: 'Paid' }] },
    ]);
    // The whole batch again (a client retrying after a lost answer): duplicates, nothing applied twice.
    const again = await post('/api/ingress/events/batch', { events: [start('c-6', 'm-c-6')] });
    expect(again.body.results[0].outcome).toBe('duplicate');
    expect(await historyOf('c-6')).toHaveLength(2);
  });

  it('refuses a batch over maxBatchEvents with 413 SAGA_BATCH_TOO_LARGE, publishing none of it', async () => {
    const events = ['c-8', 'c-9', 'c-10', 'c-11'].map((id) => start(id));
    const answer = await post('/api/ingress/events/batch', { events });
    expect(answer).toMatchObject({ status: 413, type: 'application/problem+json', body: { code: 'SAGA_BATCH_TOO_LARGE' } });
    expect(answer.body.detail).toContain('4 events, over the limit of 3');
    expect(await repository.findByCorrelation('checkout', 'c-8')).toBeNull();
    expect(await post('/api/ingress/events/batch', { events: [] })).toMatchObject({ status: 400 });
  });
});

describe('who may publish', () => {
  it('lets the ingress role and operators publish, and a viewer not', async () => {
    expect((await post('/api/ingress/events', start('c-12'), OPERATOR)).status).toBe(200);
    expect(await post('/api/ingress/events', start('c-13'), VIEWER)).toMatchObject({ status: 403, body: { code: 'SAGA_FORBIDDEN' } });
    expect(await post('/api/ingress/events', start('c-13'), 'wrong-token-0123456789')).toMatchObject({ status: 401, body: { code: 'SAGA_UNAUTHORIZED' } });
    const read = await api.request('/api/instances', { headers: { Authorization: `Bearer ${INGRESS}` } });
    expect(read.status).toBe(403);
    expect(read.headers.get('content-type')).toBe('application/problem+json');
  });

  it('refuses publishing on a read-only API', async () => {
    const ops = new SagaOperations({ repository, sagas: [CheckoutSaga], orchestrator });
    const readOnly = createSagaflowApi(ops, { principals, dashboard: false, readOnly: true });
    const response = await readOnly.request('/api/ingress/events', {
      method: 'POST',
      headers: { Authorization: `Bearer ${INGRESS}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(start('c-14')),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('SAGA_READ_ONLY');
    await readOnly.close();
  });

  it('refuses limits that are not positive integers when the API is made', () => {
    const ops = new SagaOperations({ repository, sagas: [CheckoutSaga], orchestrator });
    expect(() => createSagaflowApi(ops, { dashboard: false, ingress: { maxBatchEvents: 0 } })).toThrow(/ingress.maxBatchEvents must be a positive integer/);
    expect(() => createSagaflowApi(ops, { dashboard: false, ingress: { maxBodyBytes: 1.5 } })).toThrow(RangeError);
  });

  it('answers a typed 409 SAGA_ORCHESTRATOR_REQUIRED when the server has no orchestrator', async () => {
    const bare = createSagaflowApi(new SagaOperations({ repository, sagas: [CheckoutSaga] }), { dashboard: false });
    const response = await bare.request('/api/ingress/events', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(start('c-15')) });
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'SAGA_ORCHESTRATOR_REQUIRED', error: { code: 'SAGA_ORCHESTRATOR_REQUIRED' } });
    await bare.close();
  });
});
