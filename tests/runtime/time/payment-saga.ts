/**
 * A saga that exercises every kind of time: a state timeout (payment must arrive within a minute), a
 * deadline (the whole order within a day), and a reminder an action schedules, re-schedules
 * (supersedes) and cancels.
 */
import { z } from 'zod';
import { defineCommand, defineEvent, defineSaga } from '../../../src/index.ts';

export const OrderPlaced = defineEvent('OrderPlaced', z.object({ orderId: z.string() }));
export const PaymentReceived = defineEvent('PaymentReceived', z.object({ orderId: z.string() }));
export const PaymentTimedOut = defineEvent('PaymentTimedOut', z.object({ orderId: z.string() }));
export const Remind = defineEvent('Remind', z.object({ n: z.number().int() }));
export const Snooze = defineEvent('Snooze', z.object({ minutes: z.number() }));
export const Shipped = defineEvent('Shipped', z.object({ orderId: z.string() }));
export const OrderExpired = defineEvent('OrderExpired', z.object({}));
export const Reserve = defineCommand('Reserve', z.object({ orderId: z.string() }));
export const Unreserve = defineCommand('Unreserve', z.object({ orderId: z.string() }));

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export const PaymentSaga = defineSaga('payment', {
  data: z.object({ orderId: z.string().default(''), reminders: z.number().int().default(0) }),
  states: ['AwaitingPayment', 'Paid', 'TimedOut', 'Shipped', 'Expired'],
})
  .event(OrderPlaced, { correlateBy: (p) => p.orderId })
  .event(PaymentReceived, { correlateBy: (p) => p.orderId })
  .event(Shipped, { correlateBy: (p) => p.orderId })
  .timeout('AwaitingPayment', { after: MINUTE, event: PaymentTimedOut, payload: (d) => ({ orderId: d.orderId }) })
  .deadline({ after: 24 * HOUR, event: OrderExpired })
  .compensation('unreserve', z.object({ orderId: z.string() }), (args, ctx) => ctx.send(Unreserve, args))
  .initially((s) =>
    s
      .when(OrderPlaced)
      .then((ctx) => {
        ctx.data.orderId = ctx.event.orderId;
        ctx.compensation.add('unreserve', { orderId: ctx.event.orderId });
      })
      .send(Reserve, (ctx) => ({ orderId: ctx.data.orderId }))
      .transitionTo('AwaitingPayment'),
  )
  .during('AwaitingPayment', (s) =>
    s
      .when(PaymentReceived)
      .schedule(Remind, { n: 1 }, { delayMs: HOUR })
      .transitionTo('Paid')
      .when(PaymentTimedOut)
      .compensate()
      .transitionTo('TimedOut')
      .finalize(),
  )
  .during('Paid', (s) =>
    s
      .when(Remind)
      .then((ctx) => {
        ctx.data.reminders = ctx.event.n;
        // Keeps reminding every hour: each schedule supersedes the last under the same key.
        ctx.schedule(Remind, { n: ctx.event.n + 1 }, { delayMs: HOUR });
      })
      .when(Snooze)
      .schedule(Remind, (ctx) => ({ n: ctx.data.reminders + 1 }), (ctx) => ({ delayMs: ctx.event.minutes * MINUTE }))
      .when(Shipped)
      .unschedule(Remind)
      .transitionTo('Shipped'),
  )
  .duringAny((s) => s.when(OrderExpired).compensate().transitionTo('Expired').finalize());
