/**
 * @module tests/fuzz/order-world
 * The world the malformed-input fuzzer attacks: an orchestrator running the example order saga on an
 * in-memory store that already holds one order in each state. Fuzzed inputs may create new orders, but
 * must never change these, which is what `snapshot` checks; `prototypes` checks that nothing polluted
 * the built-in prototypes.
 */
import { randomUUID } from 'node:crypto';
import { createEnvelope, InMemorySagaRepository, SagaOrchestrator, type Envelope } from '../../src/index.ts';
import {
  InventoryReserved,
  OrderCreated,
  OrderSaga,
  OrderShipped,
  PaymentFailed,
  PaymentProcessed,
  ShippingFailed,
} from '../../examples/order-saga.ts';

/** The order saga's transition table, written out independently of the DSL: the fuzzer's reference. */
export const HANDLES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Initial: ['OrderCreated'],
  AwaitingPayment: ['PaymentProcessed', 'PaymentFailed'],
  AwaitingInventory: ['InventoryReserved', 'InventoryReservationFailed'],
  AwaitingShipment: ['OrderShipped', 'ShippingFailed'],
  Completed: [],
  Failed: [],
});

/** States entered by `finalize()`: `duringAny` does not reach them, so they ignore nothing either. */
export const FINAL_STATES: ReadonlySet<string> = new Set(['Completed', 'Failed']);

export function handles(state: string, type: string): boolean {
  return HANDLES[state]?.includes(type) ?? false;
}

/** `OrderCreated` is ignored by a running order (`duringAny(ignore)`), not by a finished one. */
export function ignores(state: string, type: string): boolean {
  return type === 'OrderCreated' && state !== 'Initial' && !FINAL_STATES.has(state);
}

/** One pre-existing order per state the saga can rest in; `steps` are the events that got it there. */
export const PRE_EXISTING = Object.freeze([
  { key: 'awaiting-payment', state: 'AwaitingPayment', steps: 1 },
  { key: 'awaiting-inventory', state: 'AwaitingInventory', steps: 2 },
  { key: 'awaiting-shipment', state: 'AwaitingShipment', steps: 3 },
  { key: 'completed', state: 'Completed', steps: 4 },
  { key: 'payment-failed', state: 'Failed', steps: -1 },
  { key: 'shipping-failed', state: 'Failed', steps: -4 },
] as const);
export type PreKey = (typeof PRE_EXISTING)[number]['key'];

export interface PreOrder {
  readonly key: PreKey;
  readonly orderId: string;
  readonly state: string;
  /** The envelopes it applied, in order: resending one must be acknowledged as a duplicate or ignored. */
  readonly applied: readonly Envelope[];
}

export interface World {
  readonly orchestrator: SagaOrchestrator;
  readonly repository: InMemorySagaRepository;
  readonly maxPayloadBytes: number;
  readonly pre: ReadonlyMap<PreKey, PreOrder>;
  readonly preIds: ReadonlySet<string>;
}

/** Small enough for huge payloads to stay cheap, large enough for deep nesting to fit under it. */
export const FUZZ_MAX_PAYLOAD_BYTES = 16 * 1024;

export async function makeWorld(maxPayloadBytes = FUZZ_MAX_PAYLOAD_BYTES): Promise<World> {
  const repository = new InMemorySagaRepository();
  const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository, maxPayloadBytes, onError: () => {} });
  const pre = new Map<PreKey, PreOrder>();
  for (const { key, state, steps } of PRE_EXISTING) {
    const orderId = `pre-${key}-${randomUUID()}`;
    const events = script(orderId, steps);
    for (const envelope of events) await orchestrator.dispatch(envelope);
    pre.set(key, { key, orderId, state, applied: events });
  }
  await orchestrator.idle();
  return { orchestrator, repository, maxPayloadBytes, pre, preIds: new Set([...pre.values()].map((p) => p.orderId)) };
}

/** The events that take an order to a state: n > 0 happy steps, or n < 0 happy steps then a failure. */
function script(orderId: string, steps: number): Envelope[] {
  const all = [
    createEnvelope('event', OrderCreated.name, { orderId, customerId: 'c', total: 10, items: [{ sku: 'S', quantity: 1 }] }),
    createEnvelope('event', PaymentProcessed.name, { orderId, transactionId: `tx-${orderId}`, amount: 10 }),
    createEnvelope('event', InventoryReserved.name, { orderId, reservationId: `res-${orderId}` }),
    createEnvelope('event', OrderShipped.name, { orderId, trackingNumber: `trk-${orderId}` }),
  ];
  if (steps > 0) return all.slice(0, steps);
  if (steps === -1) return [all[0]!, createEnvelope('event', PaymentFailed.name, { orderId, reason: 'declined' })];
  return [...all.slice(0, 3), createEnvelope('event', ShippingFailed.name, { orderId, reason: 'no carrier' })];
}

/** Everything about the pre-existing orders that an input could change. */
export async function snapshot(world: World): Promise<string> {
  const rows: unknown[] = [];
  for (const { orderId } of world.pre.values()) {
    const r = await world.repository.findByCorrelation('order', orderId);
    const history = r ? await world.repository.history(r.id) : [];
    rows.push(
      r && {
        state: r.state,
        status: r.status,
        version: r.version,
        data: r.data,
        compensation: r.compensation,
        updatedAt: r.updatedAt.getTime(),
        history: history.length,
        lastMessageId: history[history.length - 1]?.messageId,
      },
    );
  }
  return JSON.stringify(rows);
}

/** The own property names of the built-in prototypes an attack would pollute, and a probe. */
export function prototypes(): string {
  const names = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Promise.prototype].map((p) =>
    Reflect.ownKeys(p).map(String).sort().join(','),
  );
  const probe = {} as Record<string, unknown>;
  return JSON.stringify([names, probe.polluted, probe.isAdmin, typeof probe.toString, Object.getPrototypeOf(probe) === Object.prototype]);
}
