import { afterEach, describe, expect, it } from 'vitest';
import { createTestHarness, HARNESS_EXPECTATION, HARNESS_TIMEOUT, type SagaTestHarness } from '../../src/testing/index.ts';
import {
  CreateShipment,
  InventoryReservationFailed,
  InventoryReserved,
  OrderCreated,
  OrderSaga,
  OrderShipped,
  PaymentProcessed,
  ProcessPayment,
  RefundPayment,
  ReleaseInventory,
  ReserveInventory,
  ShippingFailed,
} from '../../examples/order-saga.ts';

const order = { orderId: 'o-1', customerId: 'c-1', total: 40, items: [{ sku: 'book', quantity: 2 }] };

describe('sagaflow/testing', () => {
  let harness: SagaTestHarness;
  afterEach(async () => harness.dispose());

  it('drives a saga through fake services and shows what it sent', async () => {
    harness = createTestHarness({ sagas: [OrderSaga] });
    harness.respond(ProcessPayment, (cmd) => [PaymentProcessed, { orderId: cmd.orderId, transactionId: 'tx-1', amount: cmd.amount }]);
    harness.respond(ReserveInventory, (cmd) => [InventoryReserved, { orderId: cmd.orderId, reservationId: 'r-1' }]);
    harness.respond(CreateShipment, (cmd) => [OrderShipped, { orderId: cmd.orderId, trackingNumber: 'TRK-1' }]);

    await harness.publish(OrderCreated, order);
    const done = await harness.expectState(OrderSaga, 'o-1', 'Completed');
    expect(done.status).toBe('completed');
    expect(done.data.shipmentTrackingNumber).toBe('TRK-1');
    expect(harness.sent(ProcessPayment).map((m) => m.payload)).toEqual([{ orderId: 'o-1', amount: 40 }]);
    expect(harness.sent(ReserveInventory)[0]!.headers.causationId).toBe(harness.published(PaymentProcessed)[0]!.messageId);
    expect(await harness.compensations(OrderSaga, 'o-1')).toEqual([]);
    expect(harness.errors).toEqual([]);
  });

  it('shows which compensations ran, last registered first', async () => {
    harness = createTestHarness({ sagas: [OrderSaga] });
    harness.respond(ProcessPayment, (cmd) => [PaymentProcessed, { orderId: cmd.orderId, transactionId: 'tx-2', amount: cmd.amount }]);
    harness.respond(ReserveInventory, (cmd) => [InventoryReserved, { orderId: cmd.orderId, reservationId: 'r-2' }]);
    await harness.publish(OrderCreated, order);
    await harness.expectState(OrderSaga, 'o-1', 'AwaitingShipment');
    await harness.publish(InventoryReservationFailed, { orderId: 'o-1', reason: 'late' }).catch(() => {});
    expect((await harness.orchestrator.deadLetters.list()).items).toHaveLength(1); // not handled in AwaitingShipment

    harness.respond(CreateShipment, () => undefined);
    await harness.publish(ShippingFailed, { orderId: 'o-1', reason: 'no carrier' });
    const failed = await harness.expectState(OrderSaga, 'o-1', 'Failed');
    expect(failed.status).toBe('faulted');
    expect((await harness.compensations(OrderSaga, 'o-1')).map((c) => c.step)).toEqual(['releaseInventory', 'refundPayment']);
    expect(harness.sent(ReleaseInventory)).toHaveLength(1);
    expect(harness.sent(RefundPayment)[0]!.payload).toMatchObject({ transactionId: 'tx-2', amount: 40 });
  });

  it('fails an expectation with the state the instance is really in', async () => {
    harness = createTestHarness({ sagas: [OrderSaga] });
    await harness.publish(OrderCreated, order);
    await expect(harness.expectState(OrderSaga, 'o-1', 'Completed')).rejects.toMatchObject({
      code: HARNESS_EXPECTATION,
      message: expect.stringContaining("is in 'AwaitingPayment'"),
    });
    await expect(harness.expectState(OrderSaga, 'nope', 'Completed')).rejects.toThrow('does not exist');
  });

  it('waits for a state reached by work it does not drive, and times out with a clear error', async () => {
    harness = createTestHarness({ sagas: [OrderSaga] });
    // A "real" asynchronous service: it answers on a timer of its own.
    harness.bus.subscribe(ProcessPayment.name, (cmd) => {
      setTimeout(() => void harness.bus.publish(PaymentProcessed, { orderId: 'o-1', transactionId: 'tx-3', amount: 40 }, { causationId: cmd.messageId }), 20);
    });
    await harness.publish(OrderCreated, order);
    const reached = await harness.waitForState(OrderSaga, 'o-1', 'AwaitingInventory', { timeoutMs: 2_000 });
    expect(reached.data.paymentTransactionId).toBe('tx-3');
    await expect(harness.waitForState(OrderSaga, 'o-1', 'Completed', { timeoutMs: 50 })).rejects.toMatchObject({ code: HARNESS_TIMEOUT });
  });

  it('reports a saga that keeps scheduling itself with no delay instead of hanging', async () => {
    const { z } = await import('zod');
    const { defineEvent, defineSaga } = await import('../../src/index.ts');
    const Go = defineEvent('Go', z.object({}));
    const Tick = defineEvent('Tick', z.object({}));
    const Looping = defineSaga('looping', { data: z.object({ ticks: z.number().default(0) }), states: ['On'] })
      .initially((s) => s.when(Go).schedule(Tick, {}, { delayMs: 0 }).transitionTo('On'))
      .during('On', (s) => s.when(Tick).then((ctx) => void (ctx.data.ticks += 1)).schedule(Tick, {}, { delayMs: 0 }));
    harness = createTestHarness({ sagas: [Looping] });
    await expect(harness.publish(Go, {}, { correlationId: 'l' })).rejects.toMatchObject({ code: HARNESS_TIMEOUT });
    expect((await harness.instance(Looping, 'l'))!.data.ticks).toBeGreaterThanOrEqual(999);
  });

  it('returns the typed error from dispatch, where publish would dead-letter', async () => {
    harness = createTestHarness({ sagas: [OrderSaga] });
    await expect(harness.dispatch(PaymentProcessed, { orderId: 'ghost', transactionId: 't', amount: 1 })).rejects.toMatchObject({
      code: 'SAGA_INSTANCE_NOT_FOUND',
    });
  });
});
