/**
 * Next week's order saga: `examples/order-saga.ts` with one change at a time, for replay tests. Each
 * variant keeps the saga's name, messages and everything else of the original.
 */
import { defineCompensation } from '../../src/index.ts';
import { defineSaga } from '../../src/index.ts';
import { z } from 'zod';
import {
  CreateShipment,
  InventoryReservationFailed,
  InventoryReserved,
  OrderCreated,
  OrderData,
  OrderShipped,
  PaymentFailed,
  PaymentProcessed,
  ProcessPayment,
  RefundPayment,
  RefundPaymentStep,
  ReleaseInventory,
  ReleaseInventoryStep,
  ReserveInventory,
  ShippingFailed,
} from '../../examples/order-saga.ts';

export interface OrderChange {
  /** PaymentProcessed of less than 50 goes straight to AwaitingShipment (and asks for the shipment). */
  readonly skipInventory?: boolean;
  /** AwaitingShipment no longer handles ShippingFailed. */
  readonly dropShippingFailed?: boolean;
  /** PaymentProcessed registers `voidPayment` instead of `refundPayment`. */
  readonly voidInsteadOfRefund?: boolean;
}

export const VoidPaymentStep = defineCompensation('voidPayment', z.object({ transactionId: z.string() }));

const byOrderId = { correlateBy: (p: { orderId: string }) => p.orderId };

export function orderSaga(change: OrderChange = {}) {
  const saga = defineSaga('order', {
    data: OrderData,
    states: ['AwaitingPayment', 'AwaitingInventory', 'AwaitingShipment', 'Completed', 'Failed'],
  })
    .event(OrderCreated, byOrderId)
    .event(PaymentProcessed, byOrderId)
    .event(PaymentFailed, byOrderId)
    .event(InventoryReserved, byOrderId)
    .event(InventoryReservationFailed, byOrderId)
    .event(OrderShipped, byOrderId)
    .initially((s) =>
      s
        .when(OrderCreated)
        .then((ctx) => {
          ctx.data.orderId = ctx.event.orderId;
          ctx.data.customerId = ctx.event.customerId;
          ctx.data.total = ctx.event.total;
          ctx.data.items = ctx.event.items;
        })
        .send(ProcessPayment, (ctx) => ({ orderId: ctx.data.orderId, amount: ctx.data.total }))
        .transitionTo('AwaitingPayment'),
    )
    .during('AwaitingPayment', (s) => {
      const small = change.skipInventory
        ? s
            .when(PaymentProcessed, (ctx) => ctx.event.amount < 50)
            .then((ctx) => {
              ctx.data.paymentTransactionId = ctx.event.transactionId;
              ctx.compensation.add(RefundPaymentStep, { transactionId: ctx.event.transactionId, amount: ctx.event.amount });
            })
            .send(CreateShipment, (ctx) => ({ orderId: ctx.data.orderId }))
            .transitionTo('AwaitingShipment')
        : s;
      return small
        .when(PaymentProcessed)
        .then((ctx) => {
          ctx.data.paymentTransactionId = ctx.event.transactionId;
          if (change.voidInsteadOfRefund) ctx.compensation.add(VoidPaymentStep, { transactionId: ctx.event.transactionId });
          else ctx.compensation.add(RefundPaymentStep, { transactionId: ctx.event.transactionId, amount: ctx.event.amount });
        })
        .send(ReserveInventory, (ctx) => ({ orderId: ctx.data.orderId, items: ctx.data.items }))
        .transitionTo('AwaitingInventory')
        .when(PaymentFailed)
        .then((ctx) => void (ctx.data.failureReason = ctx.event.reason))
        .transitionTo('Failed')
        .finalize();
    })
    .during('AwaitingInventory', (s) =>
      s
        .when(InventoryReserved)
        .then((ctx) => {
          ctx.data.inventoryReservationId = ctx.event.reservationId;
          ctx.compensation.add(ReleaseInventoryStep, { reservationId: ctx.event.reservationId });
        })
        .send(CreateShipment, (ctx) => ({ orderId: ctx.data.orderId }))
        .transitionTo('AwaitingShipment')
        .when(InventoryReservationFailed)
        .then((ctx) => void (ctx.data.failureReason = ctx.event.reason))
        .compensate()
        .transitionTo('Failed')
        .finalize(),
    )
    .during('AwaitingShipment', (s) => {
      const shipped = s
        .when(OrderShipped)
        .then((ctx) => void (ctx.data.shipmentTrackingNumber = ctx.event.trackingNumber))
        .transitionTo('Completed')
        .finalize();
      if (change.dropShippingFailed) return shipped;
      return shipped
        .when(ShippingFailed)
        .then((ctx) => void (ctx.data.failureReason = ctx.event.reason))
        .compensate()
        .transitionTo('Failed')
        .finalize();
    })
    .duringAny((s) => s.ignore(OrderCreated))
    .compensation(RefundPaymentStep, (args, ctx) => {
      ctx.send(RefundPayment, { orderId: ctx.instance.correlationId, transactionId: args.transactionId, amount: args.amount });
    })
    .compensation(VoidPaymentStep, () => {})
    .compensation(ReleaseInventoryStep, (args, ctx) => {
      ctx.send(ReleaseInventory, { orderId: ctx.instance.correlationId, reservationId: args.reservationId });
    });
  // An event no state handles may not be configured.
  return change.dropShippingFailed ? saga : saga.event(ShippingFailed, byOrderId);
}
