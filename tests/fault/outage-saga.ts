/**
 * @module tests/fault/outage-saga
 *
 * The order saga the database-outage scenario runs, on command handlers this time (claims, heartbeats,
 * outcomes in `sagaflow_commands`): Reserve → Charge → Ship. A third of the orders fail at shipping and
 * compensate (refund, then release). Handlers and compensation steps record what they did in an effects
 * table on ANOTHER server (the shared one), so they keep working while the saga's own database is down:
 * exactly the case where a handler succeeds and its outcome cannot be written.
 */
import pg from 'pg';
import { z } from 'zod';
import { defineCommand, defineCompensation, defineEvent, defineSaga, type SagaOrchestrator } from '../../src/index.ts';

export const OUTAGE_SAGA = 'outage-order';
export const OutagePlan = z.enum(['complete', 'fail-ship']);
export type OutagePlan = z.infer<typeof OutagePlan>;

const order = { orderId: z.string().min(1), plan: OutagePlan };
export const OrderPlaced = defineEvent('OutageOrderPlaced', z.object(order));
export const ReserveStock = defineCommand('OutageReserveStock', z.object(order), { output: z.object({ reservationId: z.string() }) });
export const ChargeCard = defineCommand('OutageChargeCard', z.object(order), { output: z.object({ transactionId: z.string() }) });
export const ShipOrder = defineCommand('OutageShipOrder', z.object(order), { output: z.object({ trackingNumber: z.string() }) });
export const ReleaseStock = defineCompensation('outageReleaseStock', z.object({ orderId: z.string(), reservationId: z.string() }));
export const RefundCard = defineCompensation('outageRefundCard', z.object({ orderId: z.string(), transactionId: z.string() }));

/** The error code a refused shipment fails with: the only failure the scenario expects. */
export const SHIPMENT_REFUSED = 'SHIPMENT_REFUSED';

export const EffectName = Object.freeze({
  Reserve: 'reserve',
  Charge: 'charge',
  Ship: 'ship',
  Refund: 'refund',
  Release: 'release',
} as const);

export const OUTAGE_EFFECTS_TABLE = `CREATE TABLE IF NOT EXISTS outage_effects (
  seq bigserial PRIMARY KEY,
  kind text NOT NULL,
  order_id text NOT NULL,
  runs integer NOT NULL DEFAULT 1,
  attempts integer[] NOT NULL,
  CONSTRAINT outage_effects_once UNIQUE (kind, order_id)
)`;

const RECORD = `INSERT INTO outage_effects (kind, order_id, attempts) VALUES ($1, $2, ARRAY[$3::int])
ON CONFLICT (kind, order_id) DO UPDATE SET runs = outage_effects.runs + 1, attempts = outage_effects.attempts || $3::int`;

/** The handlers' and steps' side: a pool on the effects server. */
export class OutageEffects {
  readonly #pool: pg.Pool;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 6 });
    this.#pool.on('error', () => {});
  }

  /** Records that `kind` ran for `orderId` (once more, if it ran before), at handler attempt `attempt`. */
  async record(kind: string, orderId: string, attempt: number): Promise<void> {
    await this.#pool.query(RECORD, [kind, orderId, attempt]);
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

const byOrder = { correlateBy: (p: { orderId: string }) => p.orderId };
/** Handlers take a while, so that a crash finds some of them mid-run. */
const busy = () => new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 100));

export function outageSaga(effects: OutageEffects) {
  return defineSaga(OUTAGE_SAGA, {
    data: z.object({
      orderId: z.string().default(''),
      plan: OutagePlan.default('complete'),
      reservationId: z.string().optional(),
      transactionId: z.string().optional(),
      trackingNumber: z.string().optional(),
    }),
    states: ['Reserving', 'Charging', 'Shipping', 'Completed', 'Cancelled'],
  })
    .event(OrderPlaced, byOrder)
    .initially((s) =>
      s
        .when(OrderPlaced)
        .then((ctx) => {
          ctx.data.orderId = ctx.event.orderId;
          ctx.data.plan = ctx.event.plan;
        })
        .send(ReserveStock, (ctx) => ({ orderId: ctx.data.orderId, plan: ctx.data.plan }))
        .transitionTo('Reserving'),
    )
    .during('Reserving', (s) =>
      s
        .when(ReserveStock.completed)
        .then((ctx) => {
          ctx.data.reservationId = ctx.event.output.reservationId;
          ctx.compensation.add(ReleaseStock, { orderId: ctx.data.orderId, reservationId: ctx.event.output.reservationId });
        })
        .send(ChargeCard, (ctx) => ({ orderId: ctx.data.orderId, plan: ctx.data.plan }))
        .transitionTo('Charging')
        .when(ReserveStock.failed)
        .compensate()
        .transitionTo('Cancelled')
        .finalize(),
    )
    .during('Charging', (s) =>
      s
        .when(ChargeCard.completed)
        .then((ctx) => {
          ctx.data.transactionId = ctx.event.output.transactionId;
          ctx.compensation.add(RefundCard, { orderId: ctx.data.orderId, transactionId: ctx.event.output.transactionId });
        })
        .send(ShipOrder, (ctx) => ({ orderId: ctx.data.orderId, plan: ctx.data.plan }))
        .transitionTo('Shipping')
        .when(ChargeCard.failed)
        .compensate()
        .transitionTo('Cancelled')
        .finalize(),
    )
    .during('Shipping', (s) =>
      s
        .when(ShipOrder.completed)
        .then((ctx) => void (ctx.data.trackingNumber = ctx.event.output.trackingNumber))
        .transitionTo('Completed')
        .finalize()
        .when(ShipOrder.failed)
        .compensate()
        .transitionTo('Cancelled')
        .finalize(),
    )
    .compensation(RefundCard, async (args, ctx) => {
      await busy();
      await effects.record(EffectName.Refund, args.orderId, ctx.attempt);
    })
    .compensation(ReleaseStock, async (args, ctx) => {
      await busy();
      await effects.record(EffectName.Release, args.orderId, ctx.attempt);
    });
}

/** The three handlers, with default settings (no retries): each records its effect, then answers. */
export function handleOutageCommands(orchestrator: SagaOrchestrator, effects: OutageEffects): void {
  orchestrator
    .handle(ReserveStock, async (input, ctx) => {
      await busy();
      await effects.record(EffectName.Reserve, input.orderId, ctx.attempt);
      return { reservationId: `res-${input.orderId}` };
    })
    .handle(ChargeCard, async (input, ctx) => {
      await busy();
      await effects.record(EffectName.Charge, input.orderId, ctx.attempt);
      return { transactionId: `tx-${input.orderId}` };
    })
    .handle(ShipOrder, async (input, ctx) => {
      await busy();
      // A refused shipment has no effect: it is the one failure the plan asks for.
      if (input.plan === 'fail-ship') throw Object.assign(new Error('the carrier refused the parcel'), { code: SHIPMENT_REFUSED });
      await effects.record(EffectName.Ship, input.orderId, ctx.attempt);
      return { trackingNumber: `TRK-${input.orderId}` };
    });
}

/** The business events an order's instance applies, in order. */
export function outagePath(plan: OutagePlan): readonly string[] {
  const head = [OrderPlaced.name, ReserveStock.completed.name, ChargeCard.completed.name];
  return [...head, plan === 'complete' ? ShipOrder.completed.name : ShipOrder.failed.name];
}

/** The effects an order leaves, in the order they must happen. */
export function outageEffects(plan: OutagePlan): readonly string[] {
  return plan === 'complete'
    ? [EffectName.Reserve, EffectName.Charge, EffectName.Ship]
    : [EffectName.Reserve, EffectName.Charge, EffectName.Refund, EffectName.Release];
}

/** The compensation steps, in the order they run (last registered first). */
export function outageSteps(plan: OutagePlan): readonly string[] {
  return plan === 'complete' ? [] : [RefundCard.name, ReleaseStock.name];
}
