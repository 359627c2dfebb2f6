/**
 * @module tests/fault/fault-saga
 *
 * The order saga the fault-injection suite runs: submitted → payment → stock → shipping. Every step is
 * a command to a simulated service, which records its effect in `fault_effects` and replies through the
 * outbox. An order's `plan` decides how it ends: `complete`, `fail-stock` (the refund is compensated), or
 * `fail-shipping` (the stock release, then the refund). Compensation steps record their own effect and
 * send a customer notice, so compensation writes carry outbox messages too.
 *
 * Services reply idempotently: the reply's message id and outbox id are derived from the command's
 * message id, so a service that handles the same command again stages the same reply (which
 * `stageOutbox` skips while it waits, and the saga's inbox drops once it was applied).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  createEnvelope,
  defineCommand,
  defineCompensation,
  defineEvent,
  defineSaga,
  type InProcessBus,
  type MessageDefinition,
  type SagaRepository,
} from '../../src/index.ts';
import type { RetryPolicy } from '../../src/runtime/retry-policy.ts';
import { KillPoint, type Chaos } from './chaos.ts';
import { EffectKind, type EffectsStore } from './effects.ts';

export const Plan = z.enum(['complete', 'fail-stock', 'fail-shipping']);
export type Plan = z.infer<typeof Plan>;

const order = { orderId: z.string().min(1) };

// --- Messages --------------------------------------------------------------------------------------
export const OrderSubmitted = defineEvent('OrderSubmitted', z.object({ ...order, amount: z.number().positive(), plan: Plan }));
export const PaymentCharged = defineEvent('PaymentCharged', z.object({ ...order, transactionId: z.string() }));
export const StockReserved = defineEvent('StockReserved', z.object({ ...order, reservationId: z.string() }));
export const StockUnavailable = defineEvent('StockUnavailable', z.object(order));
export const OrderShipped = defineEvent('OrderShipped', z.object({ ...order, trackingNumber: z.string() }));
export const ShipmentFailed = defineEvent('ShipmentFailed', z.object(order));

export const ChargePayment = defineCommand('ChargePayment', z.object({ ...order, amount: z.number() }));
export const ReserveStock = defineCommand('ReserveStock', z.object({ ...order, plan: Plan }));
export const ShipOrder = defineCommand('ShipOrder', z.object({ ...order, plan: Plan }));
export const NotifyCustomer = defineCommand('NotifyCustomer', z.object({ ...order, about: z.enum(['refund', 'release']) }));

// --- Compensations -------------------------------------------------------------------------------
export const RefundPayment = defineCompensation('refundPayment', z.object({ ...order, transactionId: z.string() }));
export const ReleaseStock = defineCompensation('releaseStock', z.object({ ...order, reservationId: z.string() }));

export const FAULT_SAGA = 'fault-order';

/** A compensation step's effect, and where a worker may die while recording it. */
export interface CompensationHooks {
  readonly effects: EffectsStore;
  readonly chaos: Chaos;
}

/** Retries for a compensation step whose service call failed (a dropped connection): it is idempotent. */
export const COMPENSATION_RETRY: RetryPolicy = Object.freeze({
  maxRetries: 20,
  immediateRetries: 1,
  initialDelayMs: 25,
  maxDelayMs: 500,
});

const byOrder = { correlateBy: (p: { orderId: string }) => p.orderId };

/**
 * The saga, with compensation steps bound to an effects store.
 *
 * @example
 * const saga = faultSaga({ effects: new EffectsStore(url), chaos: Chaos.none });
 */
export function faultSaga(hooks: CompensationHooks) {
  return defineSaga(FAULT_SAGA, {
    data: z.object({
      orderId: z.string().default(''),
      amount: z.number().default(0),
      plan: Plan.default('complete'),
      transactionId: z.string().optional(),
      reservationId: z.string().optional(),
      trackingNumber: z.string().optional(),
    }),
    states: ['AwaitingPayment', 'AwaitingStock', 'AwaitingShipment', 'Completed', 'Cancelled'],
    compensationRetry: COMPENSATION_RETRY,
  })
    .event(OrderSubmitted, byOrder)
    .event(PaymentCharged, byOrder)
    .event(StockReserved, byOrder)
    .event(StockUnavailable, byOrder)
    .event(OrderShipped, byOrder)
    .event(ShipmentFailed, byOrder)
    .initially((s) =>
      s
        .when(OrderSubmitted)
        .then((ctx) => {
          ctx.data.orderId = ctx.event.orderId;
          ctx.data.amount = ctx.event.amount;
          ctx.data.plan = ctx.event.plan;
        })
        .send(ChargePayment, (ctx) => ({ orderId: ctx.data.orderId, amount: ctx.data.amount }))
        .transitionTo('AwaitingPayment'),
    )
    .during('AwaitingPayment', (s) =>
      s
        .when(PaymentCharged)
        .then((ctx) => {
          ctx.data.transactionId = ctx.event.transactionId;
          ctx.compensation.add(RefundPayment, { orderId: ctx.data.orderId, transactionId: ctx.event.transactionId });
        })
        .send(ReserveStock, (ctx) => ({ orderId: ctx.data.orderId, plan: ctx.data.plan }))
        .transitionTo('AwaitingStock'),
    )
    .during('AwaitingStock', (s) =>
      s
        .when(StockReserved)
        .then((ctx) => {
          ctx.data.reservationId = ctx.event.reservationId;
          ctx.compensation.add(ReleaseStock, { orderId: ctx.data.orderId, reservationId: ctx.event.reservationId });
        })
        .send(ShipOrder, (ctx) => ({ orderId: ctx.data.orderId, plan: ctx.data.plan }))
        .transitionTo('AwaitingShipment')
        .when(StockUnavailable)
        .compensate()
        .transitionTo('Cancelled')
        .finalize(),
    )
    .during('AwaitingShipment', (s) =>
      s
        .when(OrderShipped)
        .then((ctx) => {
          ctx.data.trackingNumber = ctx.event.trackingNumber;
        })
        .transitionTo('Completed')
        .finalize()
        .when(ShipmentFailed)
        .compensate()
        .transitionTo('Cancelled')
        .finalize(),
    )
    .compensation(RefundPayment, async (args, ctx) => {
      await hooks.effects.record(EffectKind.Refund, args.orderId, `refunded ${args.transactionId}`);
      hooks.chaos.point(KillPoint.CompensationAfterEffect);
      ctx.send(NotifyCustomer, { orderId: args.orderId, about: 'refund' });
    })
    .compensation(ReleaseStock, async (args, ctx) => {
      await hooks.effects.record(EffectKind.Release, args.orderId, `released ${args.reservationId}`);
      hooks.chaos.point(KillPoint.CompensationAfterEffect);
      ctx.send(NotifyCustomer, { orderId: args.orderId, about: 'release' });
    });
}

// --- Simulated services --------------------------------------------------------------------------
interface Decision {
  readonly outcome: string;
  readonly reply?: readonly [MessageDefinition, unknown];
}

export interface ServiceDeps {
  /** Where replies are staged (`stageOutbox`). */
  readonly repository: SagaRepository;
  readonly effects: EffectsStore;
  readonly chaos: Chaos;
  /** Called after a reply was staged: wakes this process's relay so the reply leaves at once. */
  readonly wake: () => void;
}

/**
 * Payment, stock, shipping and notification services on the bus. Each records its effect, then stages
 * its reply with ids derived from the command's message id.
 *
 * @example
 * const stop = startServices(bus, { repository, effects, chaos: Chaos.none, wake: () => relay.wake() });
 */
export function startServices(bus: InProcessBus, deps: ServiceDeps): () => void {
  const handle = <P>(command: MessageDefinition, kind: (p: P) => EffectKind, decide: (p: P) => Decision) =>
    bus.subscribe(command.name, async (envelope) => {
      const payload = command.parse(envelope.payload) as P & { orderId: string };
      const decision = decide(payload);
      await deps.effects.record(kind(payload), payload.orderId, decision.outcome);
      deps.chaos.point(KillPoint.HandlerAfterEffect);
      if (decision.reply === undefined) return;
      const [message, replyPayload] = decision.reply;
      const reply = createEnvelope(message.kind, message.name, message.parse(replyPayload), {
        messageId: derivedId(envelope.messageId, 'reply'),
        causationId: envelope.messageId,
        correlationId: envelope.correlationId ?? payload.orderId,
      });
      await deps.repository.stageOutbox([{ id: derivedId(envelope.messageId, 'outbox'), envelope: reply, availableAt: new Date() }]);
      deps.wake();
    });

  type Ordered = { orderId: string; plan: Plan };
  const subscriptions = [
    handle<{ orderId: string }>(ChargePayment, () => EffectKind.Payment, ({ orderId }) => ({
      outcome: 'charged',
      reply: [PaymentCharged, { orderId, transactionId: `tx-${orderId}` }],
    })),
    handle<Ordered>(ReserveStock, () => EffectKind.Stock, ({ orderId, plan }) =>
      plan === 'fail-stock'
        ? { outcome: 'unavailable', reply: [StockUnavailable, { orderId }] }
        : { outcome: 'reserved', reply: [StockReserved, { orderId, reservationId: `res-${orderId}` }] },
    ),
    handle<Ordered>(ShipOrder, () => EffectKind.Shipment, ({ orderId, plan }) =>
      plan === 'fail-shipping'
        ? { outcome: 'failed', reply: [ShipmentFailed, { orderId }] }
        : { outcome: 'shipped', reply: [OrderShipped, { orderId, trackingNumber: `TRK-${orderId}` }] },
    ),
    handle<{ about: 'refund' | 'release' }>(
      NotifyCustomer,
      ({ about }) => (about === 'refund' ? EffectKind.RefundNotice : EffectKind.ReleaseNotice),
      () => ({ outcome: 'notified' }),
    ),
  ];
  return () => subscriptions.forEach((off) => off());
}

/**
 * A UUID derived from a message id and a purpose: the same inputs give the same id. Shaped as a UUIDv7
 * carrying the source's timestamp when the source is one, so it sorts among the outbox's own ids
 * (relays claim in id order) instead of at a random place.
 *
 * @example
 * derivedId('0190a6d2-7e1c-7b3e-9a4f-2f6c1d0e8b11', 'reply'); // '0190a6d2-7e1c-7…', the same every time
 */
export function derivedId(messageId: string, purpose: string): string {
  const hash = createHash('sha256').update(purpose).update('\u0000').update(messageId).digest('hex');
  const compact = messageId.replaceAll('-', '').toLowerCase();
  const time = /^[0-9a-f]{12}7/.test(compact) ? compact.slice(0, 12) : hash.slice(0, 12);
  const variant = (8 | (parseInt(hash[15]!, 16) & 3)).toString(16);
  const hex = `${time}7${hash.slice(12, 15)}${variant}${hash.slice(16, 31)}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The events an order's instance applies, in order, for its plan. */
export function expectedPath(plan: Plan): readonly string[] {
  switch (plan) {
    case 'complete':
      return [OrderSubmitted.name, PaymentCharged.name, StockReserved.name, OrderShipped.name];
    case 'fail-stock':
      return [OrderSubmitted.name, PaymentCharged.name, StockUnavailable.name];
    case 'fail-shipping':
      return [OrderSubmitted.name, PaymentCharged.name, StockReserved.name, ShipmentFailed.name];
  }
}

/** The compensation steps an order's plan unwinds, in the order they must run (LIFO). */
export function expectedSteps(plan: Plan): readonly string[] {
  return plan === 'complete' ? [] : plan === 'fail-stock' ? [RefundPayment.name] : [ReleaseStock.name, RefundPayment.name];
}

/** Every effect an order's plan must leave, with its outcome. */
export function expectedEffects(plan: Plan, orderId: string): ReadonlyMap<EffectKind, string> {
  const tx = `tx-${orderId}`;
  const res = `res-${orderId}`;
  const m = new Map<EffectKind, string>([[EffectKind.Payment, 'charged']]);
  if (plan === 'fail-stock') {
    m.set(EffectKind.Stock, 'unavailable').set(EffectKind.Refund, `refunded ${tx}`).set(EffectKind.RefundNotice, 'notified');
    return m;
  }
  m.set(EffectKind.Stock, 'reserved');
  if (plan === 'complete') return m.set(EffectKind.Shipment, 'shipped');
  return m
    .set(EffectKind.Shipment, 'failed')
    .set(EffectKind.Release, `released ${res}`)
    .set(EffectKind.ReleaseNotice, 'notified')
    .set(EffectKind.Refund, `refunded ${tx}`)
    .set(EffectKind.RefundNotice, 'notified');
}

/** The plan of the i-th order of a scenario: half complete, a quarter fail at stock, a quarter at shipping. */
export function planFor(i: number): Plan {
  const k = i % 4;
  return k < 2 ? 'complete' : k === 2 ? 'fail-stock' : 'fail-shipping';
}
