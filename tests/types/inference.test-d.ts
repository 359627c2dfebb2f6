/**
 * Type-level tests, checked by the compiler (vitest typecheck): payloads and instance data are inferred
 * from the zod schemas, and naming an undeclared state, wrong compensation arguments or a bad payload is
 * a compile error.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  defineCommand,
  defineCompensation,
  defineEvent,
  defineSaga,
  SagaOrchestrator,
  type Envelope,
  type InstanceInfo,
  type PayloadOf,
  type SagaInstance,
} from '../../src/index.ts';

const PaymentReceived = defineEvent(
  'PaymentReceived',
  z.object({
    orderId: z.string(),
    amount: z.number(),
    currency: z.string().default('EUR'),
    note: z.string().optional(),
  }),
);
const OrderCancelled = defineEvent('OrderCancelled', z.object({ orderId: z.string(), reason: z.string() }));
const ShipOrder = defineCommand('ShipOrder', z.object({ orderId: z.string(), express: z.boolean().default(false) }));
const Refund = defineCompensation('refund', z.object({ transactionId: z.string(), amount: z.number() }));

const OrderData = z.object({
  orderId: z.string().default(''),
  total: z.number().default(0),
  tags: z.array(z.string()).default([]),
  shippedAt: z.string().optional(),
});
type OrderData = z.output<typeof OrderData>;

type Payment = { orderId: string; amount: number; currency: string; note?: string | undefined };

class PaymentDeclined extends Error {
  readonly declineCode = 'insufficient_funds' as const;
}

const base = defineSaga('typed', { data: OrderData, states: ['AwaitingPayment', 'Paid', 'Cancelled'] });

describe('inference from the schemas', () => {
  it('types ctx.event from the event schema (z.output: defaults filled in, optionals optional)', () => {
    base.initially((s) =>
      s
        .when(PaymentReceived)
        .then((ctx) => {
          expectTypeOf(ctx.event).toEqualTypeOf<Payment>();
          expectTypeOf(ctx.event.currency).toEqualTypeOf<string>();
          expectTypeOf(ctx.envelope).toEqualTypeOf<Envelope<Payment>>();
          // @ts-expect-error the payload has no such field
          void ctx.event.customerId;
        })
        .transitionTo('Paid'),
    );
    expectTypeOf<PayloadOf<typeof PaymentReceived>>().toEqualTypeOf<Payment>();
  });

  it("types ctx.data from the saga's data schema, and lets actions change it", () => {
    base.initially((s) =>
      s
        .when(PaymentReceived)
        .then((ctx) => {
          expectTypeOf(ctx.data).toEqualTypeOf<OrderData>();
          expectTypeOf(ctx.data.tags).toEqualTypeOf<string[]>();
          expectTypeOf(ctx.instance).toEqualTypeOf<InstanceInfo>();
          ctx.data.total = ctx.event.amount;
          // @ts-expect-error total is a number
          ctx.data.total = ctx.event.currency;
        })
        .transitionTo('Paid'),
    );
  });

  it('types guards, branch conditions and their read-only data', () => {
    base.initially((s) =>
      s
        .when(PaymentReceived, (ctx) => {
          expectTypeOf(ctx.event).toEqualTypeOf<Payment>();
          expectTypeOf(ctx.data).toEqualTypeOf<Readonly<OrderData>>();
          // @ts-expect-error guards cannot change the data
          ctx.data.total = 1;
          return ctx.event.amount > 0;
        })
        .ifElse(
          (ctx) => ctx.event.amount > ctx.data.total,
          (b) => b.transitionTo('Paid'),
          (b) => b.transitionTo('AwaitingPayment'),
        )
        // @ts-expect-error a guard returns a boolean
        .when(OrderCancelled, (ctx) => ctx.event.reason)
        .transitionTo('Cancelled'),
    );
  });

  it('types ctx.error in a catch chain as the caught class', () => {
    base.initially((s) =>
      s
        .when(PaymentReceived)
        .then(() => {})
        .catch(PaymentDeclined, (b) =>
          b
            .then((ctx) => {
              expectTypeOf(ctx.error).toEqualTypeOf<PaymentDeclined>();
              expectTypeOf(ctx.error.declineCode).toEqualTypeOf<'insufficient_funds'>();
              expectTypeOf(ctx.event).toEqualTypeOf<Payment>();
            })
            .transitionTo('Cancelled'),
        )
        .transitionTo('Paid'),
    );
  });

  it('types correlateBy over the payload, which must return a string', () => {
    base.event(PaymentReceived, {
      correlateBy: (payload) => {
        expectTypeOf(payload).toEqualTypeOf<Payment>();
        return payload.orderId;
      },
    });
    // @ts-expect-error a correlation id is a string
    base.event(PaymentReceived, { correlateBy: (payload) => payload.amount });
  });

  it('types initialData as the schema input', () => {
    defineSaga('with-initial', { data: OrderData, states: ['A'], initialData: { orderId: 'x' } });
    // @ts-expect-error total is a number
    defineSaga('with-bad-initial', { data: OrderData, states: ['A'], initialData: { total: 'zero' } });
  });

  it('types compensation handler arguments from the compensation schema', () => {
    base.compensation(Refund, (args, ctx) => {
      expectTypeOf(args).toEqualTypeOf<{ transactionId: string; amount: number }>();
      expectTypeOf(ctx.data).toEqualTypeOf<Readonly<OrderData>>();
    });
  });
});

describe('states are checked by the compiler', () => {
  it('transitionTo() of an undeclared state is a compile error', () => {
    base.initially((s) =>
      s
        .when(PaymentReceived)
        // @ts-expect-error 'Nope' is not a state of this saga
        .transitionTo('Nope'),
    );
    base.initially((s) =>
      s.when(PaymentReceived).if(
        () => true,
        // @ts-expect-error not inside branches either
        (b) => b.transitionTo('Nope'),
      ),
    );
  });

  it('during() of an undeclared state is a compile error, also among several', () => {
    // @ts-expect-error 'Nope' is not a state of this saga
    base.during('Nope', (s) => s.when(OrderCancelled).transitionTo('Cancelled'));
    // @ts-expect-error one bad name among several
    base.during('Paid', 'Nope', (s) => s.when(OrderCancelled).transitionTo('Cancelled'));
    base.during('Paid', 'AwaitingPayment', (s) => s.when(OrderCancelled).transitionTo('Cancelled'));
    // @ts-expect-error during() needs at least one state
    base.during((s) => s.when(OrderCancelled).transitionTo('Cancelled'));
  });
});

describe('finalize()', () => {
  it('returns a binder that only starts a new handler: no then() or transitionTo() after it', () => {
    base.initially((s) => {
      const finalized = s.when(PaymentReceived).transitionTo('Paid').finalize();
      expectTypeOf(finalized).not.toHaveProperty('then');
      expectTypeOf(finalized).not.toHaveProperty('transitionTo');
      expectTypeOf(finalized).toHaveProperty('when');
      return finalized.when(OrderCancelled).transitionTo('Cancelled');
    });
    base.initially((s) =>
      s
        .when(PaymentReceived)
        .finalize()
        // @ts-expect-error nothing may follow finalize()
        .then(() => {}),
    );
    base.initially((s) =>
      s
        .when(PaymentReceived)
        .finalize()
        // @ts-expect-error nothing may follow finalize()
        .transitionTo('Paid'),
    );
    base.initially((s) =>
      s.when(PaymentReceived).if(
        () => true,
        // @ts-expect-error nothing may follow finalize() inside a branch either
        (b) => b.finalize().then(() => {}),
      ),
    );
  });
});

describe('compensations, publish and send', () => {
  it('ctx.compensation.add checks the arguments against the compensation schema', () => {
    base.initially((s) =>
      s
        .when(PaymentReceived)
        .then((ctx) => {
          ctx.compensation.add(Refund, { transactionId: 'tx', amount: ctx.event.amount });
          // @ts-expect-error amount is missing
          ctx.compensation.add(Refund, { transactionId: 'tx' });
          // @ts-expect-error amount is a number
          ctx.compensation.add(Refund, { transactionId: 'tx', amount: '12' });
        })
        .transitionTo('Paid'),
    );
  });

  it('publish() and send() check payloads (the schema input: defaults may be left out)', () => {
    base.initially((s) =>
      s
        .when(PaymentReceived)
        .publish(OrderCancelled, { orderId: 'o', reason: 'r' })
        .publish(OrderCancelled, (ctx) => ({ orderId: ctx.event.orderId, reason: ctx.event.currency }))
        .send(ShipOrder, { orderId: 'o' })
        // @ts-expect-error reason is missing
        .publish(OrderCancelled, { orderId: 'o' })
        // @ts-expect-error a payload function must return a valid payload
        .publish(OrderCancelled, (ctx) => ({ orderId: ctx.event.amount, reason: 'r' }))
        // @ts-expect-error publish() takes events, send() takes commands
        .publish(ShipOrder, { orderId: 'o' })
        // @ts-expect-error send() takes commands
        .send(OrderCancelled, { orderId: 'o', reason: 'r' })
        .then((ctx) => {
          ctx.publish(OrderCancelled, { orderId: 'o', reason: 'r' });
          ctx.send(ShipOrder, { orderId: 'o', express: true });
          // @ts-expect-error express is a boolean
          ctx.send(ShipOrder, { orderId: 'o', express: 'yes' });
          // @ts-expect-error reason is a string
          ctx.publish(OrderCancelled, { orderId: 'o', reason: 1 });
        })
        .transitionTo('Paid'),
    );
  });

  it('orchestrator.publish checks the payload input', async () => {
    const orchestrator = new SagaOrchestrator({ sagas: [] });
    await orchestrator.publish(PaymentReceived, { orderId: 'o', amount: 1 });
    // @ts-expect-error amount is missing
    await orchestrator.publish(PaymentReceived, { orderId: 'o' });
  });
});

describe('the orchestrator', () => {
  it('orchestrator.find(Saga, id) returns the typed instance data', async () => {
    const Saga = base
      .initially((s) => s.when(PaymentReceived).transitionTo('Paid'))
      .during('Paid', (s) => s.when(OrderCancelled).transitionTo('Cancelled'));
    const orchestrator = new SagaOrchestrator({ sagas: [Saga] });
    const found = await orchestrator.find(Saga, 'o-1');
    expectTypeOf(found).toEqualTypeOf<SagaInstance<OrderData> | null>();
    if (found) {
      expectTypeOf(found.data.total).toEqualTypeOf<number>();
      expectTypeOf(found.version).toEqualTypeOf<number>();
    }
  });
});
