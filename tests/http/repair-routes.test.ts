/**
 * The repair routes of the HTTP API: the principal the token names is recorded with each action, a viewer
 * is refused every one of them, bodies are checked (JSON, size, shape), bulk actions need the dry run's
 * count, and the audit trail and the repair form read back. On the in-memory store (the routes are what
 * is tested; the stores are the contract suite's).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { InMemorySagaRepository, operatorOrchestrator, SagaOperations, type SagaRepository } from '../../src/index.ts';
import { createSagaflowApi, MAX_ACTION_BODY, type SagaflowApi } from '../../src/http/index.ts';
import { OrderSaga, seed, TransferSaga, type Seeded } from '../ops/fixtures.ts';

const OPERATOR = 'operator-token-0123456789';
const VIEWER = 'viewer-token-0123456789ab';
let repository: SagaRepository;
let seeded: Seeded;
let api: SagaflowApi;

beforeEach(async () => {
  repository = new InMemorySagaRepository();
  seeded = await seed(repository);
  const orchestrator = operatorOrchestrator({ sagas: [OrderSaga, TransferSaga], repository, onError: () => {} });
  api = createSagaflowApi(new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga], orchestrator }), {
    principals: [
      { name: 'alice', role: 'operator', token: OPERATOR },
      { name: 'grafana', role: 'viewer', token: VIEWER },
    ],
    dashboard: false,
  });
  return () => api.close();
});

async function call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await api.request(path, init);
  return { status: response.status, body: await response.json() };
}

const idOf = async (saga: string, correlationId: string) => (await repository.findByCorrelation(saga, correlationId))!.id;

describe('repair routes', () => {
  it("records the token's principal and the reason; the answer carries the audit record", async () => {
    const id = await idOf('order', seeded.waiting);
    const moved = await call(OPERATOR, 'POST', `/api/instances/${id}/transition`, { state: 'Failed', patch: { failureReason: 'by hand' }, reason: 'customer called', expectedVersion: 1 });
    expect(moved).toMatchObject({ status: 200, body: { instance: { state: 'Failed', status: 'completed' }, audit: { principal: 'alice', reason: 'customer called', action: 'transition' } } });
    const audit = await call(OPERATOR, 'GET', '/api/audit?limit=10');
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ principal: 'alice', instanceId: id, sagaName: 'order', before: { state: 'AwaitingPayment' }, after: { state: 'Failed' } });
    // The viewer may read the trail.
    expect((await call(VIEWER, 'GET', '/api/audit')).status).toBe(200);
  });

  it('refuses a viewer every action, with 403 SAGA_FORBIDDEN, and changes nothing', async () => {
    const id = await idOf('order', seeded.waiting);
    const transfer = await idOf('transfer', seeded.transfer);
    const reason = { reason: 'forged' };
    for (const [method, path, body] of [
      ['POST', `/api/instances/${id}/send`, { type: 'PaymentFailed', payload: { orderId: seeded.waiting, reason: 'x' }, ...reason }],
      ['POST', `/api/instances/${id}/transition`, { state: 'Failed', ...reason }],
      ['POST', `/api/instances/${id}/cancel`, reason],
      ['POST', `/api/instances/${transfer}/retry-compensation`, reason],
      ['POST', `/api/dead-letters/${seeded.unknownLetter}/replay`, reason],
      ['DELETE', `/api/dead-letters/${seeded.unknownLetter}`, reason],
      ['POST', '/api/bulk/instances/cancel', { filter: {}, dryRun: true, ...reason }],
      ['POST', '/api/bulk/dead-letters/discard', { filter: {}, dryRun: true, ...reason }],
    ] as const) {
      const answer = await call(VIEWER, method, path, body);
      expect([path, answer.status, answer.body.error.code]).toEqual([path, 403, 'SAGA_FORBIDDEN']);
    }
    expect((await call(OPERATOR, 'GET', '/api/audit')).body.items).toEqual([]);
    expect((await repository.findById(id))?.version).toBe(1);
  });

  it('checks bodies: not JSON or the wrong shape is 400, no reason is 400 SAGA_REASON_REQUIRED, too large is 413', async () => {
    const id = await idOf('order', seeded.waiting);
    expect(await call(OPERATOR, 'POST', `/api/instances/${id}/cancel`, '{ nope')).toMatchObject({ status: 400, body: { error: { code: 'SAGA_BAD_REQUEST' } } });
    expect(await call(OPERATOR, 'POST', `/api/instances/${id}/transition`, { state: 7, reason: 'x' })).toMatchObject({ status: 400, body: { error: { code: 'SAGA_BAD_REQUEST' } } });
    expect(await call(OPERATOR, 'POST', `/api/instances/${id}/cancel`)).toMatchObject({ status: 400, body: { error: { code: 'SAGA_REASON_REQUIRED' } } });
    const huge = { type: 'PaymentFailed', payload: { orderId: 'x', reason: 'y'.repeat(MAX_ACTION_BODY) }, reason: 'x' };
    expect((await call(OPERATOR, 'POST', `/api/instances/${id}/send`, huge)).status).toBe(413);
    expect(await call(OPERATOR, 'POST', `/api/instances/${id}/transition`, { state: 'Nowhere', reason: 'x' })).toMatchObject({ status: 422, body: { error: { code: 'SAGA_UNDECLARED_STATE' } } });
    expect(await call(OPERATOR, 'POST', `/api/instances/${id}/cancel`, { reason: 'x', expectedVersion: 5 })).toMatchObject({ status: 409, body: { error: { code: 'SAGA_CONCURRENCY_CONFLICT' } } });
  });

  it('bulk: a dry run answers the count, another count is 409, the confirmed one acts and reports each item', async () => {
    const body = { filter: { saga: 'order', state: 'AwaitingPayment' }, reason: 'promotion withdrawn' };
    const dry = await call(OPERATOR, 'POST', '/api/bulk/instances/cancel', body);
    expect(dry).toMatchObject({ status: 200, body: { dryRun: true, count: 2 } });
    expect(await call(OPERATOR, 'POST', '/api/bulk/instances/cancel', { ...body, expectCount: 3 })).toMatchObject({ status: 409, body: { error: { code: 'SAGA_BULK_COUNT_MISMATCH' } } });
    const done = await call(OPERATOR, 'POST', '/api/bulk/instances/cancel', { ...body, expectCount: 2 });
    expect(done).toMatchObject({ status: 200, body: { dryRun: false, count: 2, succeeded: 2, failed: 0 } });
    expect((await call(OPERATOR, 'POST', '/api/bulk/instances/explode', body)).status).toBe(404);
    const letters = await call(OPERATOR, 'POST', '/api/bulk/dead-letters/discard', { filter: { reason: 'unknown-event' }, reason: 'noise', expectCount: 1 });
    expect(letters).toMatchObject({ status: 200, body: { succeeded: 1, items: [{ id: seeded.unknownLetter, ok: true }] } });
  });

  it('bulk: takes the filter of a search (data conditions, a correlation-id prefix), and refuses a bad condition', async () => {
    const search = { saga: 'order', where: ['data.customerId = dave'], prefix: 'waiting-' };
    const dry = await call(OPERATOR, 'POST', '/api/bulk/instances/cancel', { filter: search, reason: 'dave asked' });
    expect(dry).toMatchObject({ status: 200, body: { dryRun: true, count: 1, sample: [expect.any(String)] } });
    const none = await call(OPERATOR, 'POST', '/api/bulk/instances/cancel', { filter: { ...search, where: ['data.customerId = nobody'] }, reason: 'x' });
    expect(none.body).toMatchObject({ dryRun: true, count: 0 });
    const bad = await call(OPERATOR, 'POST', '/api/bulk/instances/cancel', { filter: { where: ['data.; DROP TABLE x = 1'] }, reason: 'x' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'SAGA_FILTER_INVALID' } } });
  });

  it("offers the repair form: the declared states and each event's JSON schema", async () => {
    const form = await call(VIEWER, 'GET', '/api/sagas/order/repair');
    expect(form.body.states).toEqual(['AwaitingPayment', 'AwaitingInventory', 'AwaitingShipment', 'Completed', 'Failed']);
    const payment = form.body.events.find((e: { type: string }) => e.type === 'PaymentProcessed');
    expect(payment.schema).toMatchObject({ type: 'object', required: ['orderId', 'transactionId', 'amount'] });
    expect((await call(VIEWER, 'GET', '/api/sagas/nope/repair')).body.error.code).toBe('SAGA_UNKNOWN_SAGA');
  });
});
