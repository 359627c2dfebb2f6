/**
 * Sagas with joins, shared by the in-memory and PostgreSQL join tests.
 */
import { z } from 'zod';
import { defineEvent, defineSaga } from '../../src/index.ts';

export const OrderPlaced = defineEvent('OrderPlaced', z.object({ orderId: z.string() }));
export const PaymentCaptured = defineEvent('PaymentCaptured', z.object({ orderId: z.string(), transactionId: z.string() }));
export const StockReserved = defineEvent('StockReserved', z.object({ orderId: z.string(), reservationId: z.string() }));
export const OrderCancelled = defineEvent('OrderCancelled', z.object({ orderId: z.string() }));
/** The composite: raised once payment and stock have both arrived. */
export const ReadyToShip = defineEvent('ReadyToShip', z.object({ orderId: z.string(), transactionId: z.string() }));

/**
 * Waits in `Preparing` for PaymentCaptured and StockReserved in any order; the join raises ReadyToShip,
 * which moves the order to `Ready`.
 */
export const ShippingSaga = defineSaga('shipping', {
  data: z.object({
    orderId: z.string().default(''),
    transactionId: z.string().default(''),
    reservationId: z.string().default(''),
    payments: z.number().default(0),
    readyWith: z.string().default(''),
  }),
  states: ['Preparing', 'Ready', 'Cancelled'],
})
  .join(ReadyToShip, [PaymentCaptured, StockReserved], {
    payload: (d) => ({ orderId: d.orderId, transactionId: d.transactionId }),
  })
  .initially((s) => s.when(OrderPlaced).then((ctx) => void (ctx.data.orderId = ctx.event.orderId)).transitionTo('Preparing'))
  .during('Preparing', (s) =>
    s
      .when(PaymentCaptured)
      .then((ctx) => {
        ctx.data.transactionId = ctx.event.transactionId;
        ctx.data.payments += 1;
      })
      .when(StockReserved)
      .then((ctx) => void (ctx.data.reservationId = ctx.event.reservationId))
      .when(ReadyToShip)
      .then((ctx) => void (ctx.data.readyWith = ctx.event.transactionId))
      .transitionTo('Ready')
      .when(OrderCancelled)
      .transitionTo('Cancelled')
      .finalize(),
  );

export const A = defineEvent('A', z.object({}));
export const B = defineEvent('B', z.object({}));
export const C = defineEvent('C', z.object({}));
export const Start = defineEvent('Start', z.object({}));
export const AllThree = defineEvent('AllThree', z.object({}));

/** Three constituents; A moves the instance from `First` to `Second`, and each counts in both states. */
export const ThreeSaga = defineSaga('three', { data: z.object({ seen: z.array(z.string()).default([]) }), states: ['First', 'Second', 'Done'] })
  .join(AllThree, [A, B, C])
  .initially((s) => s.when(Start).transitionTo('First'))
  .during('First', (s) => s.when(A).then((ctx) => void ctx.data.seen.push('A')).transitionTo('Second'))
  .during('First', 'Second', (s) => s.when(B).then((ctx) => void ctx.data.seen.push('B')).when(C).then((ctx) => void ctx.data.seen.push('C')))
  .during('Second', (s) => s.when(A).then((ctx) => void ctx.data.seen.push('A again')).when(AllThree).transitionTo('Done'));
