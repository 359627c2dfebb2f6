import { describe, expect, it } from 'vitest';
import { InMemorySagaRepository } from '../../src/index.ts';
import { OrderSaga, runOrderDemo } from '../../examples/order-saga.ts';

describe('examples/order-saga.ts', () => {
  it('completes a good order, fails a declined one, and compensates the later failures in reverse order', async () => {
    const repository = new InMemorySagaRepository();
    const lines: string[] = [];
    const { instances, ledger } = await runOrderDemo({ repository, log: (l) => lines.push(l) });
    const byId = Object.fromEntries(instances.map((i) => [i!.correlationId, i!]));

    expect(byId['order-1']).toMatchObject({ state: 'Completed', status: 'completed', version: 4 });
    expect(byId['order-1']!.data).toMatchObject({ paymentTransactionId: 'tx-order-1', shipmentTrackingNumber: 'TRK-order-1' });
    // Declined before anything needed undoing.
    expect(byId['order-2']).toMatchObject({ state: 'Failed', status: 'completed', version: 2 });
    expect(byId['order-2']!.data.failureReason).toBe('card declined');
    // Paid, then out of stock: the payment is refunded.
    expect(byId['order-3']).toMatchObject({ state: 'Failed', status: 'faulted', compensation: [] });
    // Paid and reserved, then no carrier: release first, then refund.
    expect(byId['order-4']).toMatchObject({ state: 'Failed', status: 'faulted', compensation: [] });
    expect(ledger.refunds).toEqual(['tx-order-3', 'tx-order-4']);
    expect(ledger.releases).toEqual(['res-order-4']);
    expect(ledger.shipments).toEqual(['order-1']);

    const history = await repository.history(byId['order-4']!.id);
    expect(history.map((h) => h.eventType)).toEqual([
      'OrderCreated',
      'PaymentProcessed',
      'InventoryReserved',
      'ShippingFailed',
      'sagaflow.compensation.step',
      'sagaflow.compensation.step',
    ]);
    expect(history.slice(4).map((h) => (h.payload as { step: string }).step)).toEqual(['releaseInventory', 'refundPayment']);
    expect(lines.some((l) => l.includes('order-4: compensated 2 step(s)'))).toBe(true);
  });

  it('renders the saga as a Mermaid diagram with every state', () => {
    const diagram = OrderSaga.toMermaid();
    for (const state of ['AwaitingPayment', 'AwaitingInventory', 'AwaitingShipment', 'Completed', 'Failed']) {
      expect(diagram).toContain(state);
    }
    expect(diagram).toContain('AwaitingInventory --> Failed: InventoryReservationFailed / compensate');
  });
});

describe('examples/quick-start.ts (the README quick start)', () => {
  it('refunds the captured payment when stock is missing', async () => {
    const { quickStart, refunds } = await import('../../examples/quick-start.ts');
    const order = await quickStart();
    expect(order).toMatchObject({ state: 'Cancelled', status: 'faulted', version: 4 });
    expect(refunds).toEqual(['tx-1']);
  });
});
