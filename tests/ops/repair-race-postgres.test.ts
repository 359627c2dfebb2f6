/**
 * A repair racing a worker's event on PostgreSQL: two processes' worth of pools (a worker's orchestrator
 * and an operator's tools), the same instance, at once. The repair is a version-checked write, so one
 * wins and the other either retries on top (the worker's event, which the saga then handles or
 * dead-letters) or is refused with `ConcurrencyError` (the operator's, who looks again). Nothing is lost:
 * the worker's message is always in the history or in the dead letters, and the history is whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcurrencyError, createEnvelope, operatorOrchestrator, SagaOperations, SagaOrchestrator } from '../../src/index.ts';
import type { PrismaSagaRepository } from '../../src/prisma/index.ts';
import { OrderCreated, OrderSaga, PaymentProcessed } from '../../examples/order-saga.ts';
import { useTestDatabase } from '../helpers/postgres.ts';

const db = useTestDatabase();
let workerStore: PrismaSagaRepository;
let operatorStore: PrismaSagaRepository;
let worker: SagaOrchestrator;
let ops: SagaOperations;
const actor = { principal: 'ops:race', reason: 'payment never came' };

beforeAll(async () => {
  workerStore = await db.repository(); // the worker's default: its read cache on
  operatorStore = await db.repository({ cache: false });
  worker = new SagaOrchestrator({ sagas: [OrderSaga], repository: workerStore, subscribe: false, onError: () => {} });
  const orchestrator = db.closeLater(operatorOrchestrator({ sagas: [OrderSaga], repository: operatorStore, onError: () => {} }));
  ops = new SagaOperations({ repository: operatorStore, sagas: [OrderSaga], orchestrator });
});

afterAll(async () => {
  await worker.close();
});

async function order(id: string) {
  await worker.publish(OrderCreated, { orderId: id, customerId: 'c', total: 5, items: [{ sku: 'PEN', quantity: 1 }] });
  return (await operatorStore.findByCorrelation('order', id, { fresh: true }))!;
}

const payment = (orderId: string) => createEnvelope('event', PaymentProcessed.name, { orderId, transactionId: `tx-${orderId}`, amount: 5 });

/** Checks one instance after the race; returns who won. */
async function settle(correlationId: string, messageId: string, repaired: PromiseSettledResult<unknown>): Promise<'repair' | 'worker'> {
  const record = (await operatorStore.findByCorrelation('order', correlationId, { fresh: true }))!;
  const history = await operatorStore.history(record.id);
  // The history is whole: one row per version, none missing, none twice.
  expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: record.version }, (_, i) => i + 1));
  const applied = history.some((h) => h.messageId === messageId);
  const letters = await operatorStore.listDeadLetters({ sagaName: 'order', limit: 1000 });
  const deadLettered = letters.items.some((l) => l.messageId === messageId);
  // Nothing lost: the worker's message is in exactly one place.
  expect([applied, deadLettered].filter(Boolean)).toHaveLength(1);
  const audits = history.filter((h) => h.eventType === 'sagaflow.operator.transition');
  if (repaired.status === 'fulfilled') {
    expect(audits).toHaveLength(1);
    expect(record.state).toBe('Failed');
    // The event came second, to a finished order: the saga refused it, and the refusal is kept.
    expect(deadLettered).toBe(true);
    return 'repair';
  }
  expect(repaired.reason).toBeInstanceOf(ConcurrencyError);
  expect(audits).toHaveLength(0);
  expect(record.state).toBe('AwaitingInventory');
  expect(applied).toBe(true);
  return 'worker';
}

describe('a repair racing a worker on PostgreSQL', { timeout: 60_000 }, () => {
  it('the worker first: the repair made against the version the operator saw is refused, the event kept', async () => {
    const before = await order('race-w');
    const event = payment('race-w');
    await worker.receive(event);
    const repaired = await Promise.allSettled([ops.repair.transition(before.id, { state: 'Failed', expectedVersion: before.version }, actor)]);
    expect(await settle('race-w', event.messageId, repaired[0]!)).toBe('worker');
  });

  it('the repair first: the event retried on top finds the order finished and is dead-lettered, not lost', async () => {
    const before = await order('race-r');
    const repaired = await Promise.allSettled([ops.repair.transition(before.id, { state: 'Failed', expectedVersion: before.version }, actor)]);
    const event = payment('race-r');
    await worker.receive(event);
    expect(await settle('race-r', event.messageId, repaired[0]!)).toBe('repair');
  });

  it('at the same moment, round after round: exactly one wins each time and nothing is lost', async () => {
    const winners: string[] = [];
    for (let round = 0; round < 12; round++) {
      const id = `race-${round}`;
      const before = await order(id);
      const event = payment(id);
      const [repaired] = await Promise.allSettled([
        ops.repair.transition(before.id, { state: 'Failed', expectedVersion: before.version }, actor),
        worker.receive(event),
      ]);
      winners.push(await settle(id, event.messageId, repaired!));
    }
    expect(winners).toHaveLength(12);
    if (process.env.SAGAFLOW_RACE_REPORT) console.log('race winners', winners.join(' '));
  });

  it('a cancel racing the event, round after round: the winner holds, the loser is refused or dead-lettered, nothing lost', async () => {
    for (let round = 0; round < 6; round++) {
      const id = `cancel-race-${round}`;
      const before = await order(id);
      const event = payment(id);
      const [cancelled] = await Promise.allSettled([ops.repair.cancel(before.id, { expectedVersion: before.version }, actor), worker.receive(event)]);
      const record = (await operatorStore.findByCorrelation('order', id, { fresh: true }))!;
      const history = await operatorStore.history(record.id);
      expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: record.version }, (_, i) => i + 1));
      const applied = history.some((h) => h.messageId === event.messageId);
      const letters = await operatorStore.listDeadLetters({ sagaName: 'order', limit: 1000 });
      const deadLettered = letters.items.some((l) => l.messageId === event.messageId);
      expect([applied, deadLettered].filter(Boolean)).toHaveLength(1);
      if (cancelled!.status === 'fulfilled') {
        // Cancelled first: a cancelled order handles no event, so the payment is refused and kept.
        expect(record).toMatchObject({ status: 'faulted', error: { cancelled: true } });
        expect(deadLettered).toBe(true);
      } else {
        expect(cancelled!.reason).toBeInstanceOf(ConcurrencyError);
        expect(record).toMatchObject({ state: 'AwaitingInventory', status: 'active' });
      }
    }
  });
});
