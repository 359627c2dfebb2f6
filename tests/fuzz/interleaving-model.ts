/**
 * @module tests/fuzz/interleaving-model
 * The system the interleaving property drives: order sagas (the example's transitions and messages,
 * with compensation handlers that record their effects) whose commands leave through the transactional
 * outbox and are consumed, in another process, by a "services" saga that records every message it
 * applied. Processes share one `InMemorySagaRepository`, one `FakeClock` and one bus (the broker); each
 * has its own orchestrator and dies at a chosen commit (`crashingRepository`).
 */
import { z } from 'zod';
import {
  createEnvelope,
  defineSaga,
  SagaOrchestrator,
  type InProcessBus,
  type Envelope,
  type FakeClock,
  type InMemorySagaRepository,
  type OutboxEntry,
  type SagaRepository,
} from '../../src/index.ts';
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
import { crashingRepository, delegate } from '../helpers/faulty-repository.ts';

/** Every compensation run, and the effect it had; the effect itself is idempotent (a set). */
export class Effects {
  /** `${orderId} ${step}` -> how many times the handler ran. */
  readonly attempts = new Map<string, number>();
  readonly applied = new Set<string>();
  /** Per order, the steps in the order their effect first happened. */
  readonly firstOrder = new Map<string, string[]>();

  record(orderId: string, step: string): void {
    const key = `${orderId} ${step}`;
    this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
    if (this.applied.has(key)) return;
    this.applied.add(key);
    const steps = this.firstOrder.get(orderId);
    if (steps) steps.push(step);
    else this.firstOrder.set(orderId, [step]);
  }
}

const byOrderId = { correlateBy: (p: { orderId: string }) => p.orderId };

/** examples/order-saga.ts, transition for transition, with recording compensation handlers. */
export function orderSaga(effects: Effects) {
  return defineSaga('order', {
    data: OrderData,
    states: ['AwaitingPayment', 'AwaitingInventory', 'AwaitingShipment', 'Completed', 'Failed'],
  })
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
          Object.assign(ctx.data, { orderId: ctx.event.orderId, customerId: ctx.event.customerId, total: ctx.event.total, items: ctx.event.items });
        })
        .send(ProcessPayment, (ctx) => ({ orderId: ctx.data.orderId, amount: ctx.data.total }))
        .transitionTo('AwaitingPayment'),
    )
    .during('AwaitingPayment', (s) =>
      s
        .when(PaymentProcessed)
        .then((ctx) => {
          ctx.data.paymentTransactionId = ctx.event.transactionId;
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
    .duringAny((s) => s.ignore(OrderCreated))
    .compensation(RefundPaymentStep, (args, ctx) => {
      effects.record(ctx.instance.correlationId, 'refundPayment');
      ctx.send(RefundPayment, { orderId: ctx.instance.correlationId, transactionId: args.transactionId, amount: args.amount });
    })
    .compensation(ReleaseInventoryStep, (args, ctx) => {
      effects.record(ctx.instance.correlationId, 'releaseInventory');
      ctx.send(ReleaseInventory, { orderId: ctx.instance.correlationId, reservationId: args.reservationId });
    });
}

type Tracked = { data: { received: string[] }; envelope: Envelope };
const track = (ctx: Tracked) => void ctx.data.received.push(`${ctx.envelope.type} ${ctx.envelope.messageId}`);

/** The payment, inventory and shipping services as one saga per order: it applies each command it gets. */
export const ServicesSaga = defineSaga('services', { data: z.object({ received: z.array(z.string()).default([]) }), states: ['Tracking'] })
  .event(ProcessPayment, byOrderId)
  .event(ReserveInventory, byOrderId)
  .event(CreateShipment, byOrderId)
  .event(RefundPayment, byOrderId)
  .event(ReleaseInventory, byOrderId)
  // Any command may arrive first: a relay redelivers in its own order.
  .initially((s) =>
    s
      .when(ProcessPayment).then(track).transitionTo('Tracking')
      .when(ReserveInventory).then(track).transitionTo('Tracking')
      .when(CreateShipment).then(track).transitionTo('Tracking')
      .when(RefundPayment).then(track).transitionTo('Tracking')
      .when(ReleaseInventory).then(track).transitionTo('Tracking'),
  )
  .during('Tracking', (s) =>
    s
      .when(ProcessPayment).then(track)
      .when(ReserveInventory).then(track)
      .when(CreateShipment).then(track)
      .when(RefundPayment).then(track)
      .when(ReleaseInventory).then(track),
  );

/** How an order's story goes, and what must be true once all of it was delivered. */
export const SCRIPTS = {
  shipped: { state: 'Completed', status: 'completed', compensations: [], commands: ['ProcessPayment', 'ReserveInventory', 'CreateShipment'] },
  paymentFailed: { state: 'Failed', status: 'completed', compensations: [], commands: ['ProcessPayment'] },
  outOfStock: { state: 'Failed', status: 'faulted', compensations: ['refundPayment'], commands: ['ProcessPayment', 'ReserveInventory', 'RefundPayment'] },
  notShipped: {
    state: 'Failed',
    status: 'faulted',
    // LIFO: the reservation was registered last, so it is released first.
    compensations: ['releaseInventory', 'refundPayment'],
    commands: ['ProcessPayment', 'ReserveInventory', 'CreateShipment', 'ReleaseInventory', 'RefundPayment'],
  },
} as const;
export type ScriptName = keyof typeof SCRIPTS;

/** The events of one order, made once: a redelivery is the same envelope, message id included. */
export function scriptEvents(script: ScriptName, orderId: string): Envelope[] {
  const ev = (name: string, payload: object) => createEnvelope('event', name, { orderId, ...payload });
  const created = ev(OrderCreated.name, { customerId: 'c', total: 10, items: [{ sku: 'S', quantity: 1 }] });
  const paid = ev(PaymentProcessed.name, { transactionId: `tx-${orderId}`, amount: 10 });
  const reserved = ev(InventoryReserved.name, { reservationId: `res-${orderId}` });
  switch (script) {
    case 'shipped':
      return [created, paid, reserved, ev(OrderShipped.name, { trackingNumber: `trk-${orderId}` })];
    case 'paymentFailed':
      return [created, ev(PaymentFailed.name, { reason: 'declined' })];
    case 'outOfStock':
      return [created, paid, ev(InventoryReservationFailed.name, { reason: 'out of stock' })];
    case 'notShipped':
      return [created, paid, reserved, ev(ShippingFailed.name, { reason: 'no carrier' })];
  }
}

/** What the shared store committed to the outbox, by entry id, whichever process committed it. */
export function recordingRepository(base: InMemorySagaRepository, committed: Map<string, OutboxEntry>): SagaRepository {
  const remember = (entries: readonly OutboxEntry[] | undefined) => {
    for (const e of entries ?? []) committed.set(e.id, e);
  };
  return {
    ...delegate(base),
    commit: async (commit) => {
      await base.commit(commit);
      remember(commit.outbox);
    },
    stageOutbox: async (entries) => {
      await base.stageOutbox(entries);
      remember(entries);
    },
  };
}

export const LEASE_MS = 30_000;

/**
 * One process over the shared store, dead from its `crashAt`-th commit on: from then on every call it
 * makes to the store throws, as if it had stopped. Processes talk through one `transport` bus, as through
 * a broker: a message published before a process died is still delivered.
 */
export class Process {
  readonly role: 'orders' | 'services';
  readonly repository: ReturnType<typeof crashingRepository>;
  readonly orchestrator: SagaOrchestrator;
  readonly errors: unknown[] = [];

  constructor(options: {
    role: 'orders' | 'services';
    shared: SagaRepository;
    transport: InProcessBus;
    clock: FakeClock;
    effects: Effects;
    crashAt: number | undefined;
  }) {
    this.role = options.role;
    this.repository = crashingRepository(options.shared, (_commit, index) => index === options.crashAt);
    this.orchestrator = new SagaOrchestrator({
      sagas: options.role === 'orders' ? [orderSaga(options.effects)] : [ServicesSaga],
      repository: this.repository,
      bus: options.transport,
      // Order events come from the test's transport (receive()); commands from the bus.
      subscribe: options.role === 'services',
      clock: options.clock,
      outbox: { leaseMs: LEASE_MS },
      relay: { leaseMs: LEASE_MS, batchSize: 50 },
      onError: (error) => void this.errors.push(error),
    });
  }

  get dead(): boolean {
    return this.repository.crashed;
  }
}
