/**
 * Joins: an order ships once its payment is captured AND its stock is reserved, whichever comes first.
 * `join(ReadyToShip, [PaymentCaptured, StockReserved])` keeps which of the two arrived on the instance
 * and raises `ReadyToShip` when the second one does; the saga handles it like any other event.
 *
 * Run it: `npx tsx examples/joins.ts` (the tests do, in tests/examples/joins.test.ts).
 */
import { z } from 'zod';
import { defineEvent, defineSaga, SagaOrchestrator } from '../src/index.ts';

const OrderPlaced = defineEvent('OrderPlaced', z.object({ orderId: z.string() }));
const PaymentCaptured = defineEvent('PaymentCaptured', z.object({ orderId: z.string(), transactionId: z.string() }));
const StockReserved = defineEvent('StockReserved', z.object({ orderId: z.string(), reservationId: z.string() }));
/** The composite: raised by the join, never published by anyone. */
const ReadyToShip = defineEvent('ReadyToShip', z.object({ orderId: z.string() }));
const ShipmentRequested = defineEvent(
  'ShipmentRequested',
  z.object({ orderId: z.string(), transactionId: z.string(), reservationId: z.string() }),
);

export const Fulfilment = defineSaga('fulfilment', {
  data: z.object({ orderId: z.string().default(''), transactionId: z.string().optional(), reservationId: z.string().optional() }),
  states: ['Preparing', 'Shipping'],
})
  .join(ReadyToShip, [PaymentCaptured, StockReserved], { payload: (d) => ({ orderId: d.orderId }) })
  .initially((s) => s.when(OrderPlaced).then((ctx) => void (ctx.data.orderId = ctx.event.orderId)).transitionTo('Preparing'))
  .during('Preparing', (s) =>
    s
      .when(PaymentCaptured)
      .then((ctx) => void (ctx.data.transactionId = ctx.event.transactionId))
      .when(StockReserved)
      .then((ctx) => void (ctx.data.reservationId = ctx.event.reservationId))
      // Both have arrived, so both ids are set.
      .when(ReadyToShip)
      .publish(ShipmentRequested, (ctx) => ({
        orderId: ctx.event.orderId,
        transactionId: ctx.data.transactionId!,
        reservationId: ctx.data.reservationId!,
      }))
      .transitionTo('Shipping'),
  );

async function main(): Promise<void> {
  // In memory here; with `repository: await createPrismaRepository()` the join survives restarts.
  const orchestrator = new SagaOrchestrator({ sagas: [Fulfilment] });
  orchestrator.bus.subscribe(ShipmentRequested.name, (e) => console.log(`  -> ShipmentRequested ${JSON.stringify(e.payload)}`));
  await orchestrator.start(); // the relay delivers the composite (it waits in the outbox like a schedule)

  const arrivals = {
    'order-1': [PaymentCaptured, StockReserved] as const, // payment first
    'order-2': [StockReserved, PaymentCaptured] as const, // stock first
  };
  for (const [orderId, [first, second]] of Object.entries(arrivals)) {
    console.log(`${orderId}: placed, then ${first.name}, then ${second.name}`);
    await orchestrator.publish(OrderPlaced, { orderId }, { correlationId: orderId });
    for (const event of [first, second]) {
      await orchestrator.publish(event, { orderId, transactionId: `tx-${orderId}`, reservationId: `res-${orderId}` }, { correlationId: orderId });
      const instance = await orchestrator.find(Fulfilment, orderId);
      const join = instance!.joins ? `arrived ${JSON.stringify(instance!.joins)}` : 'complete, ReadyToShip raised';
      console.log(`  after ${event.name}: ${instance!.state}, join ${join}`);
    }
    const shipping = await waitForState(orchestrator, orderId, 'Shipping');
    const history = await orchestrator.repository.history(shipping.id);
    console.log(`  ${orderId} is ${shipping.state}; history: ${history.map((h) => h.eventType).join(' > ')}`);
  }
  await orchestrator.close();
}

async function waitForState(orchestrator: SagaOrchestrator, orderId: string, state: string) {
  for (let waited = 0; waited < 5_000; waited += 10) {
    const instance = await orchestrator.find(Fulfilment, orderId);
    if (instance?.state === state) return instance;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${orderId} did not reach ${state}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
