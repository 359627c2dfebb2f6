/**
 * The order saga of the HeroMessaging seed: payment, inventory, shipping, with a refund and an
 * inventory release as compensations. `examples/order-demo.ts` runs it persisted (`npm run demo`);
 * the tests import and execute it.
 */
import { z } from 'zod';
import {
  InProcessBus,
  SagaOrchestrator,
  defineCommand,
  defineCompensation,
  defineEvent,
  defineSaga,
  type InputOf,
  type SagaRepository,
} from '../src/index.ts';

// --- Messages --------------------------------------------------------------------------------------
export const OrderCreated = defineEvent(
  'OrderCreated',
  z.object({
    orderId: z.string(),
    customerId: z.string(),
    total: z.number().positive(),
    items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
  }),
);
export const PaymentProcessed = defineEvent('PaymentProcessed', z.object({ orderId: z.string(), transactionId: z.string(), amount: z.number() }));
export const PaymentFailed = defineEvent('PaymentFailed', z.object({ orderId: z.string(), reason: z.string() }));
export const InventoryReserved = defineEvent('InventoryReserved', z.object({ orderId: z.string(), reservationId: z.string() }));
export const InventoryReservationFailed = defineEvent('InventoryReservationFailed', z.object({ orderId: z.string(), reason: z.string() }));
export const OrderShipped = defineEvent('OrderShipped', z.object({ orderId: z.string(), trackingNumber: z.string() }));
export const ShippingFailed = defineEvent('ShippingFailed', z.object({ orderId: z.string(), reason: z.string() }));

export const ProcessPayment = defineCommand('ProcessPayment', z.object({ orderId: z.string(), amount: z.number() }));
export const ReserveInventory = defineCommand(
  'ReserveInventory',
  z.object({ orderId: z.string(), items: z.array(z.object({ sku: z.string(), quantity: z.number() })) }),
);
export const CreateShipment = defineCommand('CreateShipment', z.object({ orderId: z.string() }));
export const RefundPayment = defineCommand('RefundPayment', z.object({ orderId: z.string(), transactionId: z.string(), amount: z.number() }));
export const ReleaseInventory = defineCommand('ReleaseInventory', z.object({ orderId: z.string(), reservationId: z.string() }));

// --- Compensations -------------------------------------------------------------------------------
export const RefundPaymentStep = defineCompensation('refundPayment', z.object({ transactionId: z.string(), amount: z.number() }));
export const ReleaseInventoryStep = defineCompensation('releaseInventory', z.object({ reservationId: z.string() }));

// --- The saga ------------------------------------------------------------------------------------
export const OrderData = z.object({
  orderId: z.string().default(''),
  customerId: z.string().default(''),
  total: z.number().default(0),
  items: z.array(z.object({ sku: z.string(), quantity: z.number() })).default([]),
  paymentTransactionId: z.string().optional(),
  inventoryReservationId: z.string().optional(),
  shipmentTrackingNumber: z.string().optional(),
  failureReason: z.string().optional(),
});

const byOrderId = { correlateBy: (p: { orderId: string }) => p.orderId };

export const OrderSaga = defineSaga('order', {
  data: OrderData,
  states: ['AwaitingPayment', 'AwaitingInventory', 'AwaitingShipment', 'Completed', 'Failed'],
})
  // The services answer with the order id in the payload; that is how their events find the order.
  .event(OrderCreated, byOrderId)
  .event(PaymentProcessed, byOrderId)
  .event(PaymentFailed, byOrderId)
  .event(InventoryReserved, byOrderId)
  .event(InventoryReservationFailed, byOrderId)
  .event(OrderShipped, byOrderId)
  .event(ShippingFailed, byOrderId)
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
  .during('AwaitingPayment', (s) =>
    s
      .when(PaymentProcessed)
      .then((ctx) => {
        ctx.data.paymentTransactionId = ctx.event.transactionId;
        // Registered right after the step succeeded: if a later step fails, the payment is refunded.
        ctx.compensation.add(RefundPaymentStep, { transactionId: ctx.event.transactionId, amount: ctx.event.amount });
      })
      .send(ReserveInventory, (ctx) => ({ orderId: ctx.data.orderId, items: ctx.data.items }))
      .transitionTo('AwaitingInventory')
      .when(PaymentFailed)
      .then((ctx) => {
        ctx.data.failureReason = ctx.event.reason;
      })
      .transitionTo('Failed')
      .finalize(),
  )
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
      .then((ctx) => {
        ctx.data.failureReason = ctx.event.reason;
      })
      .compensate()
      .transitionTo('Failed')
      .finalize(),
  )
  .during('AwaitingShipment', (s) =>
    s
      .when(OrderShipped)
      .then((ctx) => {
        ctx.data.shipmentTrackingNumber = ctx.event.trackingNumber;
      })
      .transitionTo('Completed')
      .finalize()
      .when(ShippingFailed)
      .then((ctx) => {
        ctx.data.failureReason = ctx.event.reason;
      })
      .compensate()
      .transitionTo('Failed')
      .finalize(),
  )
  // A duplicate OrderCreated (a retried HTTP request, say) must not disturb a running order.
  .duringAny((s) => s.ignore(OrderCreated))
  .compensation(RefundPaymentStep, (args, ctx) => {
    ctx.send(RefundPayment, { orderId: ctx.instance.correlationId, transactionId: args.transactionId, amount: args.amount });
  })
  .compensation(ReleaseInventoryStep, (args, ctx) => {
    ctx.send(ReleaseInventory, { orderId: ctx.instance.correlationId, reservationId: args.reservationId });
  });

// --- Simulated services --------------------------------------------------------------------------
/** What the fake services did, so the demo and the tests can check every effect. */
export interface Ledger {
  readonly charges: Map<string, number>;
  readonly refunds: string[];
  readonly reservations: Set<string>;
  readonly releases: string[];
  readonly shipments: string[];
}

/**
 * Payment, inventory and shipping services on the bus. Orders over 1000 are declined, the SKU
 * `OUT-OF-STOCK` cannot be reserved, and customer `far-away` cannot be shipped to.
 */
export function startOrderServices(bus: InProcessBus): { ledger: Ledger; stop: () => void } {
  const ledger: Ledger = { charges: new Map(), refunds: [], reservations: new Set(), releases: [], shipments: [] };
  const customers = new Map<string, string>();
  const subs = [
    bus.subscribe(OrderCreated.name, (env) => {
      const p = OrderCreated.parse(env.payload);
      customers.set(p.orderId, p.customerId);
    }),
    bus.subscribe(ProcessPayment.name, async (env) => {
      const { orderId, amount } = ProcessPayment.parse(env.payload);
      if (amount > 1000) return bus.publish(PaymentFailed, { orderId, reason: 'card declined' }, { causationId: env.messageId });
      const transactionId = `tx-${orderId}`;
      ledger.charges.set(transactionId, amount);
      return bus.publish(PaymentProcessed, { orderId, transactionId, amount }, { causationId: env.messageId });
    }),
    bus.subscribe(ReserveInventory.name, async (env) => {
      const { orderId, items } = ReserveInventory.parse(env.payload);
      if (items.some((i) => i.sku === 'OUT-OF-STOCK')) {
        return bus.publish(InventoryReservationFailed, { orderId, reason: 'out of stock' }, { causationId: env.messageId });
      }
      const reservationId = `res-${orderId}`;
      ledger.reservations.add(reservationId);
      return bus.publish(InventoryReserved, { orderId, reservationId }, { causationId: env.messageId });
    }),
    bus.subscribe(CreateShipment.name, async (env) => {
      const { orderId } = CreateShipment.parse(env.payload);
      if (customers.get(orderId) === 'far-away') {
        return bus.publish(ShippingFailed, { orderId, reason: 'no carrier' }, { causationId: env.messageId });
      }
      ledger.shipments.push(orderId);
      return bus.publish(OrderShipped, { orderId, trackingNumber: `TRK-${orderId}` }, { causationId: env.messageId });
    }),
    bus.subscribe(RefundPayment.name, (env) => {
      ledger.refunds.push(RefundPayment.parse(env.payload).transactionId);
    }),
    bus.subscribe(ReleaseInventory.name, (env) => {
      ledger.releases.push(ReleaseInventory.parse(env.payload).reservationId);
    }),
  ];
  return { ledger, stop: () => subs.forEach((off) => off()) };
}

export const DEMO_ORDERS: ReadonlyArray<InputOf<typeof OrderCreated>> = [
  { orderId: 'order-1', customerId: 'alice', total: 99.99, items: [{ sku: 'BOOK', quantity: 1 }] },
  { orderId: 'order-2', customerId: 'bob', total: 5000, items: [{ sku: 'TV', quantity: 1 }] },
  { orderId: 'order-3', customerId: 'carol', total: 42, items: [{ sku: 'OUT-OF-STOCK', quantity: 2 }] },
  { orderId: 'order-4', customerId: 'far-away', total: 10, items: [{ sku: 'PEN', quantity: 3 }] },
];

/** Runs the demo orders through the saga and returns what happened. */
export async function runOrderDemo(options: { repository?: SagaRepository; log?: (line: string) => void; runId?: string } = {}) {
  const log = options.log ?? (() => {});
  const bus = new InProcessBus();
  const services = startOrderServices(bus);
  const orchestrator = new SagaOrchestrator({
    sagas: [OrderSaga],
    bus,
    ...(options.repository && { repository: options.repository }),
    observers: [
      {
        transitioned: ({ instance, from, envelope }) =>
          log(`  ${instance.correlationId}: ${envelope.type.padEnd(26)} ${(from ?? '(new)').padEnd(17)} -> ${instance.state} [${instance.status}]`),
        compensated: ({ instance, steps }) => log(`  ${instance.correlationId}: compensated ${steps} step(s)`),
      },
    ],
  });
  const suffix = options.runId ? `-${options.runId}` : '';
  const orders = DEMO_ORDERS.map((o) => ({ ...o, orderId: `${o.orderId}${suffix}` }));
  for (const order of orders) {
    await bus.publish(OrderCreated, order);
    await bus.idle();
  }
  const instances = [];
  for (const order of orders) instances.push(await orchestrator.find(OrderSaga, order.orderId));
  await orchestrator.close();
  services.stop();
  return { instances, ledger: services.ledger, orchestrator };
}
