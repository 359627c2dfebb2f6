/**
 * @module bench/order-workload
 * The fixed workload every orchestrator benchmark runs: the example order saga, four events per order,
 * from creation to completion.
 */
import { InventoryReserved, OrderCreated, OrderShipped, PaymentProcessed } from '../examples/order-saga.ts';

/** The four events that take one order from creation to completion. */
export function orderEvents(orderId: string) {
  return [
    [OrderCreated, { orderId, customerId: 'c-1', total: 99.5, items: [{ sku: 'BOOK', quantity: 1 }] }],
    [PaymentProcessed, { orderId, transactionId: `tx-${orderId}`, amount: 99.5 }],
    [InventoryReserved, { orderId, reservationId: `res-${orderId}` }],
    [OrderShipped, { orderId, trackingNumber: `trk-${orderId}` }],
  ] as const;
}
