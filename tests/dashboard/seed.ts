/**
 * @module tests/dashboard/seed
 *
 * Fills a store with order sagas in every status the dashboard shows, by running the real orchestrator
 * over the order saga of `examples/order-saga.ts` (no simulated services: each event is published here,
 * so every instance stops exactly where it should):
 *
 * - completed (shipped) and completed (payment declined);
 * - faulted: inventory failed and the payment was refunded;
 * - active, waiting for payment or inventory;
 * - compensation_failed: shipping failed and the refund step threw, because its stored arguments no
 *   longer satisfy the step's schema (as after a deployment changed it);
 * - two dead letters: a payment that arrived before its order existed, which a replay can now deliver,
 *   and a message of a type no saga handles.
 *
 * The screenshot script (`npm run screenshots`) uses it too.
 */
import { SagaOrchestrator, type SagaRepository } from '../../src/index.ts';
import {
  InventoryReservationFailed,
  InventoryReserved,
  OrderCreated,
  OrderSaga,
  OrderShipped,
  PaymentFailed,
  PaymentProcessed,
  ShippingFailed,
} from '../../examples/order-saga.ts';

export interface Seeded {
  /** Instance ids by correlation id. */
  readonly ids: ReadonlyMap<string, string>;
  /** The dead letter that a replay delivers (its order now exists). */
  readonly deadLetterId: string;
  /** The order whose payment was dead-lettered; it waits for payment. */
  readonly lateOrder: string;
  /** A message of a type no saga handles (reason `unknown-event`): one to discard. */
  readonly unknownLetterId: string;
  /** The order whose compensation failed. */
  readonly stuckOrder: string;
}

const item = (sku: string, quantity = 1) => ({ sku, quantity });

/** An orchestrator over `repository` running the order saga, with no services and no relay. */
export function orderOrchestrator(repository: SagaRepository): SagaOrchestrator {
  return new SagaOrchestrator({ sagas: [OrderSaga], repository, relay: false, onError: () => {} });
}

async function create(o: SagaOrchestrator, orderId: string, customerId: string, total: number, items = [item('BOOK')]) {
  await o.publish(OrderCreated, { orderId, customerId, total, items });
}

/**
 * Seeds the store; `prefix` keeps correlation ids apart when several runs share a database.
 *
 * @example
 * const seeded = await seedOrders(repository);
 * seeded.ids.get('order-shipped'); // the instance id
 */
export async function seedOrders(repository: SagaRepository, prefix = 'order'): Promise<Seeded> {
  const o = orderOrchestrator(repository);
  const id = (name: string) => `${prefix}-${name}`;
  try {
    // Completed: paid, reserved, shipped.
    await create(o, id('shipped'), 'alice', 99.99, [item('BOOK'), item('PEN', 3)]);
    await o.publish(PaymentProcessed, { orderId: id('shipped'), transactionId: `tx-${id('shipped')}`, amount: 99.99 });
    await o.publish(InventoryReserved, { orderId: id('shipped'), reservationId: `res-${id('shipped')}` });
    await o.publish(OrderShipped, { orderId: id('shipped'), trackingNumber: 'TRK-1001' });

    // Completed in Failed: the card was declined, nothing to undo.
    await create(o, id('declined'), 'bob', 5000, [item('TV')]);
    await o.publish(PaymentFailed, { orderId: id('declined'), reason: 'card declined' });

    // Faulted: paid, then out of stock, so the payment was refunded.
    await create(o, id('refunded'), 'carol', 42, [item('OUT-OF-STOCK', 2)]);
    await o.publish(PaymentProcessed, { orderId: id('refunded'), transactionId: `tx-${id('refunded')}`, amount: 42 });
    await o.publish(InventoryReservationFailed, { orderId: id('refunded'), reason: 'out of stock' });

    // Active.
    await create(o, id('waiting-1'), 'dave', 18.5);
    await create(o, id('waiting-2'), 'erin', 230, [item('LAMP'), item('BULB', 4)]);
    await create(o, id('reserving'), 'frank', 64);
    await o.publish(PaymentProcessed, { orderId: id('reserving'), transactionId: `tx-${id('reserving')}`, amount: 64 });

    // Compensation failed: the refund's stored arguments no longer parse, so the refund step throws.
    const stuck = id('stuck');
    await create(o, stuck, 'far-away', 10, [item('PEN', 3)]);
    await o.publish(PaymentProcessed, { orderId: stuck, transactionId: `tx-${stuck}`, amount: 10 });
    await o.publish(InventoryReserved, { orderId: stuck, reservationId: `res-${stuck}` });
    await breakRefundArguments(repository, stuck);
    await o.publish(ShippingFailed, { orderId: stuck, reason: 'no carrier' });

    // A payment that arrived before its order: dead-lettered; once the order exists, a replay delivers it.
    const late = id('late');
    const received = await o.receive({
      kind: 'event',
      type: PaymentProcessed.name,
      messageId: crypto.randomUUID(),
      correlationId: late,
      payload: { orderId: late, transactionId: `tx-${late}`, amount: 12 },
      timestamp: new Date().toISOString(),
      headers: {},
    });
    if (received.status !== 'dead-lettered') throw new Error(`expected the early payment to be dead-lettered, got ${received.status}`);
    await create(o, late, 'grace', 12);
    const unknown = await o.receive({
      kind: 'event',
      type: 'OrderCancelled',
      messageId: crypto.randomUUID(),
      correlationId: id('cancelled'),
      payload: { orderId: id('cancelled'), note: '<img src=x onerror="alert(1)">' },
      timestamp: new Date().toISOString(),
      headers: {},
    });
    if (unknown.status !== 'dead-lettered') throw new Error(`expected the unknown event to be dead-lettered, got ${unknown.status}`);

    const ids = new Map<string, string>();
    for (const name of ['shipped', 'declined', 'refunded', 'waiting-1', 'waiting-2', 'reserving', 'stuck', 'late']) {
      const found = await repository.findByCorrelation(OrderSaga.name, id(name), { fresh: true });
      if (!found) throw new Error(`seed: ${id(name)} was not stored`);
      ids.set(id(name), found.id);
    }
    return { ids, deadLetterId: received.deadLetter.id, unknownLetterId: unknown.deadLetter.id, lateOrder: late, stuckOrder: stuck };
  } finally {
    await o.close();
  }
}

/** Rewrites the refund step's arguments into a shape its schema refuses (`amount` as text). */
async function breakRefundArguments(repository: SagaRepository, correlationId: string): Promise<void> {
  const record = await repository.findByCorrelation(OrderSaga.name, correlationId, { fresh: true });
  if (!record) throw new Error(`seed: no order ${correlationId}`);
  const now = new Date();
  const compensation = record.compensation.map((entry) =>
    entry.name === 'refundPayment' ? { ...entry, args: { ...(entry.args as object), amount: 'ten' } } : entry,
  );
  await repository.commit({
    kind: 'update',
    expectedVersion: record.version,
    instance: { ...record, compensation, version: record.version + 1, updatedAt: now },
    history: {
      instanceId: record.id,
      sequence: record.version + 1,
      messageId: crypto.randomUUID(),
      eventType: 'seed.refund-arguments-changed',
      stateBefore: record.state,
      stateAfter: record.state,
      payload: { note: 'the refund step now expects different arguments' },
      at: now,
    },
  });
}
