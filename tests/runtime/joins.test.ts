/**
 * Joins in the orchestrator, in memory: a composite event raised once every constituent has arrived,
 * in any order, through the schedule machinery (staged in the outbox with the write that completed it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActionError, defineEvent, defineSaga, InMemorySagaRepository, SagaOrchestrator } from '../../src/index.ts';
import { createTestHarness, type SagaTestHarness } from '../../src/testing/index.ts';
import {
  A,
  AllThree,
  B,
  C,
  OrderCancelled,
  OrderPlaced,
  PaymentCaptured,
  ReadyToShip,
  ShippingSaga,
  Start,
  StockReserved,
  ThreeSaga,
} from './joins-saga.ts';

const permutations = <T>(items: readonly T[]): T[][] =>
  items.length <= 1 ? [[...items]] : items.flatMap((x, k) => permutations([...items.slice(0, k), ...items.slice(k + 1)]).map((rest) => [x, ...rest]));

describe('joins', () => {
  let harness: SagaTestHarness;
  afterEach(async () => harness?.dispose());

  const constituents = {
    PaymentCaptured: (orderId: string) => harness.publish(PaymentCaptured, { orderId, transactionId: `tx-${orderId}` }, { correlationId: orderId }),
    StockReserved: (orderId: string) => harness.publish(StockReserved, { orderId, reservationId: `r-${orderId}` }, { correlationId: orderId }),
  };

  it('raises the composite once both constituents arrived, in either order, with the payload made from the data', async () => {
    harness = createTestHarness({ sagas: [ShippingSaga] });
    for (const order of permutations(['PaymentCaptured', 'StockReserved'] as const)) {
      const id = `o-${order.join('-')}`;
      await harness.publish(OrderPlaced, { orderId: id }, { correlationId: id });
      await constituents[order[0]!](id);
      const waiting = await harness.expectState(ShippingSaga, id, 'Preparing');
      expect(waiting.joins).toEqual({ ReadyToShip: [order[0]] });

      await constituents[order[1]!](id);
      const ready = await harness.expectState(ShippingSaga, id, 'Ready');
      expect(ready.joins).toBeUndefined();
      expect(ready.data.readyWith).toBe(`tx-${id}`);
      const raised = harness.published(ReadyToShip).filter((m) => m.correlationId === id);
      expect(raised.map((m) => m.payload)).toEqual([{ orderId: id, transactionId: `tx-${id}` }]);
      // The composite is caused by the constituent that completed the join, and is journaled like any event.
      const history = await harness.repository.history(ready.id);
      expect(history.map((h) => h.eventType)).toEqual(['OrderPlaced', ...order, 'ReadyToShip']);
      expect(raised[0]!.headers.causationId).toBe(history[2]!.messageId);
      expect(history[2]!.sent).toEqual([{ messageId: raised[0]!.messageId, type: 'ReadyToShip', kind: 'schedule' }]);
    }
    expect(await harness.repository.outboxSize()).toBe(0);
  });

  it('waits for all of three constituents in every order, across a state change, and raises the composite once', async () => {
    harness = createTestHarness({ sagas: [ThreeSaga] });
    const events = { A, B, C };
    for (const order of permutations(['A', 'B', 'C'] as const)) {
      const id = order.join('');
      await harness.publish(Start, {}, { correlationId: id });
      for (const [k, name] of order.entries()) {
        await harness.publish(events[name], {}, { correlationId: id });
        const instance = await harness.instance(ThreeSaga, id);
        if (k < 2) {
          expect(instance!.joins).toEqual({ AllThree: order.slice(0, k + 1) });
          expect(instance!.state).toBe(order.slice(0, k + 1).includes('A') ? 'Second' : 'First');
        }
      }
      const done = await harness.expectState(ThreeSaga, id, 'Done');
      expect(done.joins).toBeUndefined();
      expect(harness.published(AllThree).filter((m) => m.correlationId === id)).toHaveLength(1);
    }
  });

  it('counts a constituent that arrives twice once, and a redelivered message is a duplicate', async () => {
    harness = createTestHarness({ sagas: [ShippingSaga] });
    await harness.publish(OrderPlaced, { orderId: 'o-1' }, { correlationId: 'o-1' });
    const first = await harness.dispatch(PaymentCaptured, { orderId: 'o-1', transactionId: 'tx-1' }, { correlationId: 'o-1', messageId: 'pay-1' });
    expect(first.outcomes[0]!.result).toBe('applied');
    const redelivered = await harness.dispatch(PaymentCaptured, { orderId: 'o-1', transactionId: 'tx-1' }, { correlationId: 'o-1', messageId: 'pay-1' });
    expect(redelivered.outcomes[0]!.result).toBe('duplicate');
    // A second, different capture is handled (its handler runs) but the join already has it.
    await harness.publish(PaymentCaptured, { orderId: 'o-1', transactionId: 'tx-2' }, { correlationId: 'o-1' });
    const waiting = await harness.expectState(ShippingSaga, 'o-1', 'Preparing');
    expect(waiting.data.payments).toBe(2);
    expect(waiting.joins).toEqual({ ReadyToShip: ['PaymentCaptured'] });
    expect(harness.published(ReadyToShip)).toEqual([]);

    await harness.publish(StockReserved, { orderId: 'o-1', reservationId: 'r-1' }, { correlationId: 'o-1' });
    const ready = await harness.expectState(ShippingSaga, 'o-1', 'Ready');
    expect(ready.data.readyWith).toBe('tx-2');
    expect(harness.published(ReadyToShip)).toHaveLength(1);
  });

  it('forgets a join under way when the instance finishes, and raises nothing', async () => {
    harness = createTestHarness({ sagas: [ShippingSaga] });
    await harness.publish(OrderPlaced, { orderId: 'o-2' }, { correlationId: 'o-2' });
    await harness.publish(StockReserved, { orderId: 'o-2', reservationId: 'r-2' }, { correlationId: 'o-2' });
    await harness.publish(OrderCancelled, { orderId: 'o-2' }, { correlationId: 'o-2' });
    const cancelled = await harness.expectState(ShippingSaga, 'o-2', 'Cancelled');
    expect(cancelled.status).toBe('completed');
    expect(cancelled.joins).toBeUndefined();
    expect(harness.published(ReadyToShip)).toEqual([]);
  });

  it('counts only in the listed states, accepting a constituent with no handler there by itself', async () => {
    const Begin = defineEvent('Begin', z.object({}));
    const Open = defineEvent('Open', z.object({}));
    const X = defineEvent('X', z.object({}));
    const Y = defineEvent('Y', z.object({}));
    const Both = defineEvent('Both', z.object({}));
    const saga = defineSaga('gate', { data: z.object({ xs: z.number().default(0) }), states: ['Closed', 'Opened', 'Through'] })
      .join(Both, [X, Y], { states: ['Opened'] })
      .initially((s) => s.when(Begin).transitionTo('Closed'))
      // X is handled in Closed (and does not count there), Y has no handler anywhere but in the join.
      .during('Closed', (s) => s.when(X).then((ctx) => void (ctx.data.xs += 1)).when(Open).transitionTo('Opened'))
      .during('Opened', (s) => s.when(Both).transitionTo('Through'));
    harness = createTestHarness({ sagas: [saga] });
    await harness.publish(Begin, {}, { correlationId: 'g' });
    await harness.publish(X, {}, { correlationId: 'g' });
    expect((await harness.instance(saga, 'g'))!.joins).toBeUndefined();
    // Y arriving in Closed is unhandled there.
    await expect(harness.dispatch(Y, {}, { correlationId: 'g' })).rejects.toThrow(/not handle|unhandled/i);
    await harness.publish(Open, {}, { correlationId: 'g' });
    await harness.publish(Y, {}, { correlationId: 'g' });
    const opened = await harness.expectState(saga, 'g', 'Opened');
    expect(opened.joins).toEqual({ Both: ['Y'] });
    expect(opened.version).toBe(4); // the implicit handler wrote (it counted Y)
    await harness.publish(X, {}, { correlationId: 'g' });
    const through = await harness.expectState(saga, 'g', 'Through');
    expect(through.data.xs).toBe(1);
  });

  it('counts a constituent that creates the instance', async () => {
    const Placed = defineEvent('Placed', z.object({}));
    const Paid = defineEvent('Paid', z.object({}));
    const Go = defineEvent('Go', z.object({}));
    const saga = defineSaga('either-first', { data: z.object({}), states: ['Waiting', 'Going'] })
      .join(Go, [Placed, Paid])
      .initially((s) => s.when(Placed).transitionTo('Waiting').when(Paid).transitionTo('Waiting'))
      .during('Waiting', (s) => s.when(Placed).when(Paid).when(Go).transitionTo('Going'));
    harness = createTestHarness({ sagas: [saga] });
    await harness.publish(Paid, {}, { correlationId: 'e' });
    expect((await harness.instance(saga, 'e'))!.joins).toEqual({ Go: ['Paid'] });
    await harness.publish(Placed, {}, { correlationId: 'e' });
    await harness.expectState(saga, 'e', 'Going');
  });

  it('fails the completing event with ActionError when the composite payload is refused, and writes nothing', async () => {
    const P = defineEvent('P', z.object({}));
    const Q = defineEvent('Q', z.object({}));
    const Begin = defineEvent('Begin2', z.object({}));
    const PQ = defineEvent('PQ', z.object({ n: z.number() }));
    const saga = defineSaga('bad-payload', { data: z.object({}), states: ['W'] })
      .join(PQ, [P, Q], { payload: () => ({ n: 'not a number' }) as never })
      .initially((s) => s.when(Begin).transitionTo('W'))
      .during('W', (s) => s.when(P).when(Q).when(PQ));
    const orchestrator = new SagaOrchestrator({ sagas: [saga], repository: new InMemorySagaRepository(), relay: false });
    await orchestrator.publish(Begin, {}, { correlationId: 'b' });
    await orchestrator.publish(P, {}, { correlationId: 'b' });
    await expect(orchestrator.publish(Q, {}, { correlationId: 'b' })).rejects.toBeInstanceOf(ActionError);
    const stored = await orchestrator.find(saga, 'b');
    expect(stored).toMatchObject({ version: 2, joins: { PQ: ['P'] } });
    await orchestrator.close();
  });

  it('handles the composite under explicit correlation without a correlateBy: it arrives addressed to its instance', async () => {
    const Opened = defineEvent('Opened', z.object({ id: z.string() }));
    const Left = defineEvent('Left', z.object({ id: z.string() }));
    const Right = defineEvent('Right', z.object({ id: z.string() }));
    const Met = defineEvent('Met', z.object({}));
    const saga = defineSaga('explicit', { data: z.object({}), states: ['Open', 'Met'], correlation: 'explicit' })
      .event(Opened, { correlateBy: (p) => p.id })
      .event(Left, { correlateBy: (p) => p.id })
      .event(Right, { correlateBy: (p) => p.id })
      .join(Met, [Left, Right])
      .initially((s) => s.when(Opened).transitionTo('Open'))
      .during('Open', (s) => s.when(Left).when(Right).when(Met).transitionTo('Met'));
    harness = createTestHarness({ sagas: [saga] });
    await harness.publish(Opened, { id: 'x' });
    await harness.publish(Right, { id: 'x' });
    await harness.publish(Left, { id: 'x' });
    await harness.expectState(saga, 'x', 'Met');
  });

  it('survives a new orchestrator on the same repository (the progress is on the instance)', async () => {
    const repository = new InMemorySagaRepository();
    const first = new SagaOrchestrator({ sagas: [ShippingSaga], repository, relay: false });
    await first.publish(OrderPlaced, { orderId: 'o-3' }, { correlationId: 'o-3' });
    await first.publish(StockReserved, { orderId: 'o-3', reservationId: 'r-3' }, { correlationId: 'o-3' });
    await first.close();

    const second = new SagaOrchestrator({ sagas: [ShippingSaga], repository, relay: { pollIntervalMs: 10 } });
    await second.start();
    await second.publish(PaymentCaptured, { orderId: 'o-3', transactionId: 'tx-3' }, { correlationId: 'o-3' });
    await expect.poll(async () => (await second.find(ShippingSaga, 'o-3'))?.state, { timeout: 2_000 }).toBe('Ready');
    await second.close();
  });
});
