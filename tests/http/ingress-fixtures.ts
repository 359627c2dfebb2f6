/**
 * @module tests/http/ingress-fixtures
 *
 * A checkout saga as a payment provider's webhook drives it: `CheckoutStarted` (correlated by the
 * envelope's correlation id) opens it, `PaymentSucceeded` (correlated from the payload) moves it on, a
 * `PaymentSucceeded` with the reference `explode` makes its action throw, and `Heartbeat` is ignored
 * while it waits (and a payment once paid). `Capture` is a command with a handler: the ingress must not take it.
 */
import { z } from 'zod';
import { defineCommand, defineEvent, defineSaga } from '../../src/index.ts';

export const CheckoutStarted = defineEvent('CheckoutStarted', z.object({ amount: z.number().positive(), currency: z.enum(['EUR', 'USD']) }));
export const PaymentSucceeded = defineEvent('PaymentSucceeded', z.object({ checkoutId: z.string(), reference: z.string() }));
export const Heartbeat = defineEvent('Heartbeat', z.object({ checkoutId: z.string() }));
export const Capture = defineCommand('Capture', z.object({ checkoutId: z.string() }));

/** The text an action failure carries; an ingress answer must never show it. */
export const SECRET_FAILURE = 'connection to psp-internal.corp:5432 refused';

export const CheckoutSaga = defineSaga('checkout', {
  data: z.object({ amount: z.number().default(0), reference: z.string().optional() }),
  states: ['AwaitingPayment', 'Paid'],
})
  .event(CheckoutStarted, {})
  .event(PaymentSucceeded, { correlateBy: (p) => p.checkoutId })
  .event(Heartbeat, { correlateBy: (p) => p.checkoutId })
  .initially((s) =>
    s
      .when(CheckoutStarted)
      .then((ctx) => {
        ctx.data.amount = ctx.event.amount;
      })
      .transitionTo('AwaitingPayment'),
  )
  .during('AwaitingPayment', (s) =>
    s
      .ignore(Heartbeat)
      .when(PaymentSucceeded)
      .then((ctx) => {
        if (ctx.event.reference === 'explode') throw new Error(SECRET_FAILURE);
        ctx.data.reference = ctx.event.reference;
      })
      .transitionTo('Paid'),
  )
  // A provider redelivers webhooks: a second payment notice is ignored once paid.
  .during('Paid', (s) => s.ignore(Heartbeat).ignore(PaymentSucceeded));
