/**
 * `saga.machine` is a real XState v5 machine: XState's actor, its pure `transition` and its graph tools
 * run on it. And the runtime (the compiled transition table behind the orchestrator) agrees with it for
 * every state and every event of the order saga and of the claim saga.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { createActor, transition, type AnyMachineSnapshot } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { z } from 'zod';
import {
  ActionError,
  defineEvent,
  defineSaga,
  FAULT_EVENT,
  InstanceNotFoundError,
  SagaOrchestrator,
  SagaStatus,
  UnhandledEventError,
  type AnySaga,
  type MessageDefinition,
  type SagaMachineEvent,
} from '../../src/index.ts';
import {
  InventoryReservationFailed,
  InventoryReserved,
  OrderCreated,
  OrderData,
  OrderSaga,
  OrderShipped,
  PaymentFailed,
  PaymentProcessed,
  ShippingFailed,
} from '../../examples/order-saga.ts';
import {
  ClaimReviewed,
  ClaimSaga,
  ClaimSubmitted,
  ClaimWithdrawn,
  PaymentAttempted,
  PaymentCrashed,
  PaymentDeclined,
  Reminder,
} from '../helpers/sagas.ts';

const DECLINED = new PaymentDeclined('card declined');
const CRASHED = new PaymentCrashed('gateway down');
const ORDER_STATES = ['Initial', 'AwaitingPayment', 'AwaitingInventory', 'AwaitingShipment', 'Completed', 'Failed'];
const order = { orderId: 'o-1', customerId: 'alice', total: 10, items: [{ sku: 'BOOK', quantity: 1 }] };

function ev(type: string, payload: unknown = {}): SagaMachineEvent {
  return { type, payload };
}

describe('saga.machine', () => {
  it("has the saga's states, with the finalized ones as XState final states", () => {
    const machine = OrderSaga.machine;
    expect(machine.id).toBe('order');
    expect(Object.keys(machine.root.states)).toEqual(ORDER_STATES);
    const finals = Object.entries(machine.root.states)
      .filter(([, node]) => node.type === 'final')
      .map(([name]) => name);
    expect(finals.sort()).toEqual(['Completed', 'Failed']);
    expect(machine.root.initial?.target[0]?.key).toBe('Initial');
  });

  it("starts an actor in 'Initial' with the saga's initial data as context", () => {
    const actor = createActor(OrderSaga.machine).start();
    expect(actor.getSnapshot().value).toBe('Initial');
    expect(actor.getSnapshot().context).toEqual({ data: OrderData.parse({}) });
    expect(actor.getSnapshot().status).toBe('active');
    actor.stop();
  });

  it("takes initial data from the actor's input", () => {
    const data = OrderData.parse({ orderId: 'from-input' });
    const actor = createActor(OrderSaga.machine, { input: { data } }).start();
    expect(actor.getSnapshot().context.data).toEqual(data);
    actor.stop();
  });

  it("walks the happy path to 'Completed', where the actor is done", () => {
    const actor = createActor(OrderSaga.machine).start();
    const seen: unknown[] = [];
    actor.subscribe((s) => seen.push(s.value));
    actor.send(ev('OrderCreated', order));
    actor.send(ev('PaymentProcessed', { orderId: 'o-1', transactionId: 'tx', amount: 10 }));
    actor.send(ev('InventoryReserved', { orderId: 'o-1', reservationId: 'r' }));
    actor.send(ev('OrderShipped', { orderId: 'o-1', trackingNumber: 't' }));
    expect(seen).toEqual(['AwaitingPayment', 'AwaitingInventory', 'AwaitingShipment', 'Completed']);
    expect(actor.getSnapshot().status).toBe('done');
  });

  it.each([
    ['PaymentFailed', ['OrderCreated']],
    ['InventoryReservationFailed', ['OrderCreated', 'PaymentProcessed']],
    ['ShippingFailed', ['OrderCreated', 'PaymentProcessed', 'InventoryReserved']],
  ])("reaches 'Failed' (done) on %s", (failure, before) => {
    const actor = createActor(OrderSaga.machine).start();
    for (const type of before) actor.send(ev(type, order));
    actor.send(ev(failure, { orderId: 'o-1', reason: 'no' }));
    expect(actor.getSnapshot().value).toBe('Failed');
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('stays put on events its state does not handle or ignores', () => {
    const actor = createActor(OrderSaga.machine).start();
    actor.send(ev('OrderShipped', { orderId: 'o-1', trackingNumber: 't' }));
    expect(actor.getSnapshot().value).toBe('Initial');
    actor.send(ev('OrderCreated', order));
    actor.send(ev('OrderCreated', order)); // duringAny ignore()
    actor.send(ev('InventoryReserved', { orderId: 'o-1', reservationId: 'r' }));
    expect(actor.getSnapshot().value).toBe('AwaitingPayment');
  });

  it('names the effects of a transition as actions, without performing them', () => {
    const machine = OrderSaga.machine;
    const [next, actions] = transition(machine, machine.resolveState({ value: 'AwaitingPayment', context: { data: {} } }), ev('PaymentProcessed'));
    expect(next.value).toBe('AwaitingInventory');
    expect(actions.map((a) => a.type)).toEqual(['saga.then', 'saga.send']);
  });

  it("guards run the saga's own predicates on the event payload and the context data", () => {
    const Ping = defineEvent('Ping', z.object({ n: z.number() }));
    const guard = vi.fn((ctx: { event: { n: number }; data: { limit: number } }) => ctx.event.n > ctx.data.limit);
    const Saga = defineSaga('spy', { data: z.object({ limit: z.number().default(3) }), states: ['High', 'Low'] }).initially((s) =>
      s.when(Ping, function overLimit(ctx) {
        return guard(ctx);
      })
        .transitionTo('High')
        .when(Ping)
        .transitionTo('Low'),
    );
    const machine = Saga.machine;
    const initial = machine.resolveState({ value: 'Initial', context: { data: { limit: 3 } } });
    expect(transition(machine, initial, ev('Ping', { n: 5 }))[0].value).toBe('High');
    expect(transition(machine, initial, ev('Ping', { n: 1 }))[0].value).toBe('Low');
    expect(guard).toHaveBeenCalledTimes(2);
    expect(guard.mock.calls[0]?.[0]).toMatchObject({ event: { n: 5 }, data: { limit: 3 } });
    const withHigherLimit = machine.resolveState({ value: 'Initial', context: { data: { limit: 10 } } });
    expect(transition(machine, withHigherLimit, ev('Ping', { n: 5 }))[0].value).toBe('Low');
    // The guard is named after the predicate, so tools and the inspector show it.
    const guardNames = Object.keys(machine.implementations.guards);
    expect(guardNames.some((name) => name.includes('overLimit'))).toBe(true);
  });

  it('evaluates if/ifElse conditions as guards of separate transitions', () => {
    const machine = ClaimSaga.machine;
    const inReview = (amount: number) => machine.resolveState({ value: 'InReview', context: { data: { amount, reviews: 0, attempts: 0 } } });
    expect(transition(machine, inReview(100), ev('ClaimReviewed', { approved: true, score: 9 }))[0].value).toBe('Paying');
    expect(transition(machine, inReview(900), ev('ClaimReviewed', { approved: true, score: 5 }))[0].value).toBe('Escalated');
    expect(transition(machine, inReview(100), ev('ClaimReviewed', { approved: true, score: 5 }))[0].value).toBe('InReview');
    expect(transition(machine, inReview(100), ev('ClaimReviewed', { approved: false, score: 9 }))[0].value).toBe('Rejected');
  });

  it(`models a caught error as the '${FAULT_EVENT}' event, matched by error class`, () => {
    const machine = ClaimSaga.machine;
    const paying = machine.resolveState({ value: 'Paying', context: { data: { amount: 1, reviews: 0, attempts: 0 } } });
    const fault = (error: Error) => ({ type: FAULT_EVENT, event: 'PaymentAttempted', payload: { outcome: 'declined' }, error });
    expect(transition(machine, paying, fault(new PaymentDeclined('x')))[0].value).toBe('Retry');
    expect(transition(machine, paying, fault(new PaymentCrashed('x')))[0].value).toBe('Paying');
    expect(transition(machine, paying, { ...fault(new PaymentDeclined('x')), event: 'ClaimReviewed' })[0].value).toBe('Paying');
  });
});

describe('xstate/graph on saga.machine', () => {
  const orderEvents = [
    ev('OrderCreated', order),
    ev('PaymentProcessed', { orderId: 'o-1', transactionId: 'tx', amount: 10 }),
    ev('PaymentFailed', { orderId: 'o-1', reason: 'no' }),
    ev('InventoryReserved', { orderId: 'o-1', reservationId: 'r' }),
    ev('InventoryReservationFailed', { orderId: 'o-1', reason: 'no' }),
    ev('OrderShipped', { orderId: 'o-1', trackingNumber: 't' }),
    ev('ShippingFailed', { orderId: 'o-1', reason: 'no' }),
  ];

  it('getShortestPaths finds a path to every state of the order saga', () => {
    const paths = getShortestPaths(OrderSaga.machine, { events: orderEvents });
    const byState = new Map(paths.map((p) => [p.state.value as string, p.steps.map((s) => s.event.type).slice(1)]));
    expect([...byState.keys()].sort()).toEqual([...ORDER_STATES].sort());
    expect(byState.get('Completed')).toEqual(['OrderCreated', 'PaymentProcessed', 'InventoryReserved', 'OrderShipped']);
    expect(byState.get('Failed')).toEqual(['OrderCreated', 'PaymentFailed']);
  });

  it("getSimplePaths finds every way into 'Failed'", () => {
    const paths = getSimplePaths(OrderSaga.machine, { events: orderEvents, toState: (s) => s.value === 'Failed' });
    const ways = paths.map((p) => p.steps.map((s) => s.event.type).slice(1).join(' > ')).sort();
    expect(ways).toEqual([
      'OrderCreated > PaymentFailed',
      'OrderCreated > PaymentProcessed > InventoryReservationFailed',
      'OrderCreated > PaymentProcessed > InventoryReserved > ShippingFailed',
    ]);
  });

  it('getShortestPaths finds a path to every state of the claim saga, through guards, branches and catch', () => {
    const events: SagaMachineEvent[] = [
      ev('ClaimSubmitted', { amount: 5000, urgent: false }),
      ev('ClaimSubmitted', { amount: 10, urgent: true }),
      ev('ClaimReviewed', { approved: true, score: 9 }),
      ev('ClaimReviewed', { approved: true, score: 5 }),
      ev('ClaimReviewed', { approved: false, score: 0 }),
      ev('PaymentAttempted', { outcome: 'paid' }),
      { type: FAULT_EVENT, event: 'PaymentAttempted', payload: { outcome: 'declined' }, error: new PaymentDeclined('no') },
      ev('ClaimWithdrawn', { reason: 'changed my mind' }),
      ev('Reminder'),
    ];
    const paths = getShortestPaths(ClaimSaga.machine, {
      events,
      input: { data: { amount: 900, reviews: 0, attempts: 0 } },
      serializeEvent: (e) => JSON.stringify({ ...e, error: (e as SagaMachineEvent).error instanceof Error ? 'error' : undefined }),
    });
    const reached = paths.map((p) => p.state.value as string).sort();
    expect(reached).toEqual([...ClaimSaga.compiled.states].sort());
    const retry = paths.find((p) => p.state.value === 'Retry');
    expect(retry?.steps.at(-1)?.event.type).toBe(FAULT_EVENT);
  });
});

// --- Agreement: the runtime and saga.machine --------------------------------------------------------------

interface Sample {
  readonly payload: unknown;
  /** The runtime action will throw this (class of) error for this payload: the machine sees the fault event. */
  readonly fault?: Error;
}

interface AgreementSpec {
  readonly saga: AnySaga;
  /** Sample payloads per event type, given the correlation id (for sagas that correlate on the payload). */
  readonly samples: Readonly<Record<string, (id: string) => readonly Sample[]>>;
  /** Data to seed instances with (every non-initial state is tried with each). */
  readonly data: readonly unknown[];
  /** Put the correlation id on the envelope (for sagas that correlate by envelope). */
  readonly envelopeCorrelation: boolean;
}

interface Case {
  readonly state: string;
  readonly event: string;
  readonly payload: unknown;
  readonly data: unknown;
  readonly runtime: string;
  readonly machine: string;
  readonly runtimeDone: boolean;
  readonly machineDone: boolean;
}

/**
 * Seeds an instance in each state (by committing a record directly), dispatches each sample event
 * through a real orchestrator, and computes XState's pure transition from the same state and data.
 */
async function compare(spec: AgreementSpec): Promise<Case[]> {
  const { saga } = spec;
  const compiled = saga.compiled;
  const machine = saga.machine;
  const orchestrator = new SagaOrchestrator({ sagas: [saga] });
  const repository = orchestrator.repository;
  const messages = new Map<string, MessageDefinition>([...compiled.events].map(([name, e]) => [name, e.message]));
  expect([...messages.keys()].sort()).toEqual(Object.keys(spec.samples).sort());
  const cases: Case[] = [];

  for (const state of compiled.states) {
    const dataSamples = state === 'Initial' ? [compiled.definition.initialData()] : spec.data;
    for (const data of dataSamples) {
      for (const [type, message] of messages) {
        const count = spec.samples[type]!('').length;
        for (let i = 0; i < count; i++) {
          const id = `case-${randomUUID()}`;
          const { payload: raw, fault } = spec.samples[type]!(id)[i]!;
          const final = compiled.finalStates.has(state);
          if (state !== 'Initial') {
            const at = new Date();
            const instanceId = randomUUID();
            await repository.commit({
              kind: 'insert',
              instance: {
                id: instanceId,
                sagaName: compiled.name,
                correlationId: id,
                state,
                data,
                dataVersion: 1,
                version: 1,
                status: final ? SagaStatus.Completed : SagaStatus.Active,
                compensation: [],
                error: null,
                createdAt: at,
                updatedAt: at,
                completedAt: final ? at : null,
              },
              history: {
                instanceId,
                sequence: 1,
                messageId: randomUUID(),
                eventType: 'seed',
                stateBefore: null,
                stateAfter: state,
                payload: null,
                at,
              },
            });
          }

          let runtime = state;
          let runtimeDone = final;
          try {
            const result = await orchestrator.publish(message, raw as never, spec.envelopeCorrelation ? { correlationId: id } : {});
            const outcome = result.outcomes[0]!;
            if (outcome.result === 'applied') {
              runtime = outcome.state;
              runtimeDone = outcome.status === SagaStatus.Completed || outcome.status === SagaStatus.Faulted;
            }
          } catch (error) {
            const failedAsModelled =
              error instanceof UnhandledEventError ||
              error instanceof InstanceNotFoundError ||
              (fault !== undefined && error instanceof ActionError && error.cause?.constructor === fault.constructor);
            if (!failedAsModelled) throw error;
          }
          const stored = await repository.findByCorrelation(compiled.name, id);
          if (stored) expect(stored.state, `stored state for ${state} + ${type}`).toBe(runtime);

          const payload = message.parse(raw);
          const from: AnyMachineSnapshot = machine.resolveState({ value: state, context: { data } });
          const event = fault ? { type: FAULT_EVENT, event: type, payload, error: fault } : { type, payload };
          const [next] = transition(machine, from, event);
          cases.push({
            state,
            event: fault ? `${type} (throws ${fault.name})` : type,
            payload,
            data,
            runtime,
            machine: next.value as string,
            runtimeDone,
            machineDone: next.status === 'done',
          });
        }
      }
    }
  }
  await orchestrator.close();
  return cases;
}

function disagreements(cases: readonly Case[]): string[] {
  return cases
    .filter((c) => c.runtime !== c.machine || c.runtimeDone !== c.machineDone)
    .map(
      (c) =>
        `${c.state} + ${c.event} ${JSON.stringify(c.payload)} with data ${JSON.stringify(c.data)}: ` +
        `runtime -> ${c.runtime}${c.runtimeDone ? ' (done)' : ''}, machine -> ${c.machine}${c.machineDone ? ' (done)' : ''}`,
    );
}

/** Every edge of the definition (from, event, to) was taken by some case, so the samples exercise every branch. */
function untakenEdges(saga: AnySaga, cases: readonly Case[]): string[] {
  const taken = new Set(cases.map((c) => `${c.state} --${c.event.split(' ')[0]}--> ${c.machine}`));
  return saga.compiled.edges
    .map((e) => `${e.from} --${e.event}--> ${e.target ?? e.from}`)
    .filter((edge) => !taken.has(edge));
}

describe('the runtime agrees with saga.machine', () => {
  it('for every state and event of the order saga', async () => {
    const cases = await compare({
      saga: OrderSaga,
      envelopeCorrelation: false,
      data: [OrderData.parse(order), OrderData.parse({ ...order, paymentTransactionId: 'tx', inventoryReservationId: 'r' })],
      samples: {
        [OrderCreated.name]: (orderId) => [{ payload: { ...order, orderId } }],
        [PaymentProcessed.name]: (orderId) => [{ payload: { orderId, transactionId: 'tx', amount: 10 } }],
        [PaymentFailed.name]: (orderId) => [{ payload: { orderId, reason: 'declined' } }],
        [InventoryReserved.name]: (orderId) => [{ payload: { orderId, reservationId: 'r' } }],
        [InventoryReservationFailed.name]: (orderId) => [{ payload: { orderId, reason: 'none left' } }],
        [OrderShipped.name]: (orderId) => [{ payload: { orderId, trackingNumber: 'TRK' } }],
        [ShippingFailed.name]: (orderId) => [{ payload: { orderId, reason: 'no carrier' } }],
      },
    });
    // 1 initial state x 7 events + 5 states x 2 data x 7 events.
    expect(cases).toHaveLength(7 + 5 * 2 * 7);
    expect(disagreements(cases)).toEqual([]);
    expect(untakenEdges(OrderSaga, cases)).toEqual([]);
    expect(cases.filter((c) => c.runtime !== c.state).length).toBeGreaterThan(0);
  });

  it('for every state and event of the claim saga, with guards, branches, duringAny, ignore and catch', async () => {
    const cases = await compare({
      saga: ClaimSaga,
      envelopeCorrelation: true,
      // Small and big claims (bigClaim both ways), reviewed fewer and more than twice (reviewedTwice both ways).
      data: [
        { amount: 100, reviews: 0, attempts: 0 },
        { amount: 900, reviews: 2, attempts: 1, note: 'seen' },
      ],
      samples: {
        [ClaimSubmitted.name]: () => [
          { payload: { amount: 5000 } },
          { payload: { amount: 10, urgent: true } },
          { payload: { amount: 10 } },
        ],
        [ClaimReviewed.name]: () => [
          { payload: { approved: true, score: 9 } },
          { payload: { approved: true, score: 5 } },
          { payload: { approved: false, score: 9 } },
        ],
        [PaymentAttempted.name]: () => [
          { payload: { outcome: 'paid' } },
          { payload: { outcome: 'declined' }, fault: DECLINED },
          { payload: { outcome: 'crashed' }, fault: CRASHED },
        ],
        [ClaimWithdrawn.name]: () => [{ payload: { reason: 'changed my mind' } }],
        [Reminder.name]: () => [{ payload: {} }],
      },
    });
    expect(cases).toHaveLength(11 + 8 * 2 * 11);
    expect(disagreements(cases)).toEqual([]);
    expect(untakenEdges(ClaimSaga, cases)).toEqual([]);
  });

  it('when a catch stands after activities that the error skipped (the state at the throw is kept)', async () => {
    class Refused extends Error {
      override name = 'Refused';
    }
    const Tried = defineEvent('Tried', z.object({ refuse: z.boolean() }));
    const Reset = defineEvent('Reset', z.object({}));
    const LateCatch = defineSaga('late-catch', { data: z.object({}), states: ['Tentative', 'Confirmed'], unhandledEvent: 'ignore' })
      .initially((s) =>
        s
          .when(Tried)
          .transitionTo('Tentative')
          .then((ctx) => {
            if (ctx.event.refuse) throw new Refused('no');
          })
          // Skipped when the action above throws: the runtime keeps 'Tentative'.
          .transitionTo('Confirmed')
          .catch(Refused, (b) => b.then(() => {})),
      )
      .during('Confirmed', (s) => s.when(Reset).transitionTo('Tentative'));
    const cases = await compare({
      saga: LateCatch,
      envelopeCorrelation: true,
      data: [{}],
      samples: {
        [Tried.name]: () => [{ payload: { refuse: false } }, { payload: { refuse: true }, fault: new Refused('no') }],
        [Reset.name]: () => [{ payload: {} }],
      },
    });
    expect(disagreements(cases)).toEqual([]);
  });
});
