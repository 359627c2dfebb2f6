/**
 * replayHistories() on the in-memory harness: histories recorded by real runs (the order demo, a saga
 * with a timeout, a request with its answer, a compensation that failed and was retried), replayed
 * through the same definition and through changed ones.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineCommand, defineCompensation, defineEvent, defineSaga, InMemorySagaRepository, SagaOrchestrator } from '../../src/index.ts';
import { exportHistories } from '../../src/ops/export-histories.ts';
import { createTestHarness, replayHistories, type HistoryLine, type SagaTestHarness } from '../../src/testing/index.ts';
import { OrderSaga, runOrderDemo } from '../../examples/order-saga.ts';
import { orderSaga } from './order-variants.ts';

async function exported(repository: InMemorySagaRepository, saga: string): Promise<HistoryLine[]> {
  const lines: HistoryLine[] = [];
  for await (const line of exportHistories(repository, { saga })) lines.push(line);
  return lines.sort((a, b) => a.correlationId.localeCompare(b.correlationId));
}

async function orderHistories(): Promise<HistoryLine[]> {
  const repository = new InMemorySagaRepository();
  await runOrderDemo({ repository });
  return exported(repository, 'order');
}

/** correlation id → the divergence's kind, row index and row type (or null). */
function summary(report: Awaited<ReturnType<typeof replayHistories>>) {
  return Object.fromEntries(
    report.instances.map((i) => [i.correlationId, i.divergence && { kind: i.divergence.kind, index: i.divergence.index, type: i.divergence.type }]),
  );
}

describe('replayHistories', () => {
  it('reproduces the order demo with the unchanged definition, from objects and from JSON lines', async () => {
    const lines = await orderHistories();
    expect(lines.map((l) => [l.correlationId, l.state, l.history.length])).toEqual([
      ['order-1', 'Completed', 4],
      ['order-2', 'Failed', 2],
      ['order-3', 'Failed', 4],
      ['order-4', 'Failed', 6],
    ]);
    const report = await replayHistories([OrderSaga], lines);
    expect(report).toMatchObject({ ok: true, diverged: 0 });
    expect(report.instances.map((i) => i.matched)).toEqual([4, 2, 4, 6]);
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    expect((await replayHistories([orderSaga()], text)).ok).toBe(true);
  });

  it('finds a transition that now goes to another state at the event that took it', async () => {
    const report = await replayHistories([orderSaga({ skipInventory: true })], await orderHistories());
    expect(report).toMatchObject({ ok: false, diverged: 2 });
    const paid = { kind: 'state', index: 1, type: 'PaymentProcessed' };
    // order-1 paid 99.99, order-2 was declined: both as before. order-3 (42) and order-4 (10) now skip the inventory.
    expect(summary(report)).toEqual({ 'order-1': null, 'order-2': null, 'order-3': paid, 'order-4': paid });
    expect(report.instances[2]!.divergence).toMatchObject({ sequence: 2, expected: 'AwaitingInventory', actual: 'AwaitingShipment' });
    expect(report.instances[2]!.divergence!.message).toContain("the new definition goes to 'AwaitingShipment'");
  });

  it('finds an event the definition no longer handles', async () => {
    const report = await replayHistories([orderSaga({ dropShippingFailed: true })], await orderHistories());
    expect(summary(report)).toEqual({
      'order-1': null,
      'order-2': null,
      'order-3': null,
      'order-4': { kind: 'unhandled', index: 3, type: 'ShippingFailed' },
    });
    expect(report.instances[3]!.divergence).toMatchObject({ actual: 'AwaitingShipment' });
  });

  it('finds another compensation step where it ran, and another stack where none ran', async () => {
    const report = await replayHistories([orderSaga({ voidInsteadOfRefund: true })], await orderHistories());
    expect(summary(report)).toEqual({
      // Completed with [refundPayment, releaseInventory] on its stack: the replay registered voidPayment at PaymentProcessed.
      'order-1': { kind: 'compensation', index: 1, type: 'PaymentProcessed' },
      'order-2': null,
      'order-3': { kind: 'compensation', index: 3, type: 'sagaflow.compensation.step' },
      'order-4': { kind: 'compensation', index: 5, type: 'sagaflow.compensation.step' },
    });
    expect(report.instances[3]!.divergence).toMatchObject({
      expected: { step: 'refundPayment' },
      actual: { step: 'voidPayment', args: { transactionId: 'tx-order-4' } },
    });
  });

  it('records compensation handlers instead of running them', async () => {
    const undone: string[] = [];
    const Undo = defineCompensation('undo', z.object({ id: z.string() }));
    const Started = defineEvent('Started', z.object({ id: z.string() }));
    const Cancelled = defineEvent('Cancelled', z.object({ id: z.string() }));
    const saga = defineSaga('undoable', { data: z.object({}), states: ['Running', 'Cancelled'] })
      .initially((s) => s.when(Started).then((ctx) => ctx.compensation.add(Undo, { id: ctx.event.id })).transitionTo('Running'))
      .during('Running', (s) => s.when(Cancelled).compensate().transitionTo('Cancelled').finalize())
      .compensation(Undo, (args) => void undone.push(args.id));
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    await orchestrator.publish(Started, { id: 'a' }, { correlationId: 'a' });
    await orchestrator.publish(Cancelled, { id: 'a' }, { correlationId: 'a' });
    expect(undone).toEqual(['a']);
    const lines = await exported(orchestrator.repository as InMemorySagaRepository, 'undoable');
    await orchestrator.close();

    expect((await replayHistories([saga], lines)).ok).toBe(true);
    expect(undone).toEqual(['a']); // not undone again by the replay
  });
});

describe('replayHistories and time', () => {
  const Placed = defineEvent('Placed', z.object({ id: z.string() }));
  const Paid = defineEvent('Paid', z.object({ id: z.string() }));
  const PaymentTimedOut = defineEvent('PaymentTimedOut', z.object({ id: z.string() }));
  const Remind = defineEvent('Remind', z.object({ id: z.string() }));
  const payment = (timeoutMs: number) =>
    defineSaga('payment', { data: z.object({ id: z.string().default(''), reminders: z.number().default(0) }), states: ['Waiting', 'Paid', 'Expired'] })
      .initially((s) =>
        s
          .when(Placed)
          .then((ctx) => {
            ctx.data.id = ctx.event.id;
            ctx.schedule(Remind, { id: ctx.event.id }, { delayMs: 60_000 });
          })
          .transitionTo('Waiting'),
      )
      .during('Waiting', (s) =>
        s
          .when(Remind)
          .then((ctx) => void (ctx.data.reminders += 1))
          .when(Paid)
          .transitionTo('Paid')
          .finalize()
          .when(PaymentTimedOut)
          .transitionTo('Expired')
          .finalize(),
      )
      .timeout('Waiting', { after: timeoutMs, event: PaymentTimedOut, payload: (d) => ({ id: d.id }) });

  async function recorded(run: (h: SagaTestHarness) => Promise<void>): Promise<HistoryLine[]> {
    const harness = createTestHarness({ sagas: [payment(15 * 60_000)] });
    try {
      await run(harness);
      return await exported(harness.repository, 'payment');
    } finally {
      await harness.dispose();
    }
  }

  it('delivers scheduled messages at their recorded times, once, as the replay scheduled them', async () => {
    const lines = await recorded(async (h) => {
      await h.publish(Placed, { id: 'late' }, { correlationId: 'late' });
      await h.advance(2 * 60_000); // the reminder at 1 min
      await h.advance(18 * 60_000); // the timeout at 15 min
      await h.publish(Placed, { id: 'paid' }, { correlationId: 'paid' });
      await h.advance(2 * 60_000);
      await h.publish(Paid, { id: 'paid' }, { correlationId: 'paid' });
      await h.publish(Placed, { id: 'open' }, { correlationId: 'open' });
    });
    expect(lines.map((l) => [l.correlationId, l.history.map((r) => r.type)])).toEqual([
      ['late', ['Placed', 'Remind', 'PaymentTimedOut']],
      ['open', ['Placed']],
      ['paid', ['Placed', 'Remind', 'Paid']],
    ]);
    const same = await replayHistories([payment(15 * 60_000)], lines);
    expect(same.instances.map((i) => i.divergence)).toEqual([null, null, null]);

    const longer = await replayHistories([payment(30 * 60_000)], lines);
    expect(summary(longer)).toEqual({
      late: { kind: 'schedule', index: 2, type: 'PaymentTimedOut' }, // fired at 15 min; now due at 30
      open: { kind: 'schedule', index: 0, type: 'Placed' }, // still pending, now due later
      paid: null,
    });
    expect(longer.instances[0]!.divergence!.message).toMatch(/fired at .*; the new definition has it due at/);

    const shorter = await replayHistories([payment(90_000)], lines);
    // The reminders came 2 minutes after the orders (the clock jumped): the new 90 s timeout is due first.
    expect(summary(shorter)).toEqual({
      late: { kind: 'schedule', index: 1, type: 'Remind' },
      open: { kind: 'schedule', index: 0, type: 'Placed' },
      paid: { kind: 'schedule', index: 1, type: 'Remind' },
    });
    expect(shorter.instances[0]!.divergence!.message).toContain("'PaymentTimedOut' (timeout:Waiting) is due at 2025-01-01T00:01:30.000Z and would arrive first");
  });
});

describe('replayHistories with requests and failed compensations', () => {
  it('answers requests with the replay command ids, and fails a step where it failed', async () => {
    const Apply = defineEvent('Apply', z.object({ who: z.string() }));
    const Score = defineCommand('Score', z.object({ who: z.string() }), { output: z.object({ score: z.number() }) });
    const Cancel = defineEvent('Cancel', z.object({}));
    const Hold = defineCompensation('hold', z.object({ who: z.string() }));
    let failNext = true;
    const loan = defineSaga('loan', { data: z.object({ score: z.number().optional() }), states: ['Scoring', 'Scored', 'Cancelled'] })
      .initially((s) =>
        s
          .when(Apply)
          .then((ctx) => ctx.compensation.add(Hold, { who: ctx.event.who }))
          .request(Score, (ctx) => ({ who: ctx.event.who }), { timeoutMs: 60_000 })
          .transitionTo('Scoring'),
      )
      .during('Scoring', (s) => s.when(Score.completed).then((ctx) => void (ctx.data.score = ctx.event.output.score)).transitionTo('Scored'))
      .during('Scored', (s) => s.when(Cancel).compensate().transitionTo('Cancelled').finalize())
      .compensation(Hold, () => {
        if (failNext) {
          failNext = false;
          throw new Error('hold service down');
        }
      });
    const orchestrator = new SagaOrchestrator({ sagas: [loan] });
    orchestrator.handle(Score, async () => ({ score: 700 }));
    await orchestrator.publish(Apply, { who: 'ada' }, { correlationId: 'ada' });
    await orchestrator.idle();
    await orchestrator.publish(Cancel, {}, { correlationId: 'ada' });
    await orchestrator.retryCompensation(loan, 'ada');
    const lines = await exported(orchestrator.repository as InMemorySagaRepository, 'loan');
    await orchestrator.close();
    expect(lines[0]!.history.map((r) => r.type)).toEqual([
      'Apply',
      'Score.Completed',
      'Cancel',
      'sagaflow.compensation.failed',
      'sagaflow.compensation.retry',
      'sagaflow.compensation.step',
    ]);

    const report = await replayHistories([loan], lines);
    expect(report.instances[0]).toMatchObject({ matched: 6, divergence: null });
  });
});

describe('replayHistories: messages, ignored events, failing actions, and the file format', () => {
  const Opened = defineEvent('Opened', z.object({ id: z.string() }));
  const Closed = defineEvent('Closed', z.object({ id: z.string() }));
  const Notify = defineCommand('Notify', z.object({ id: z.string() }));
  const Audit = defineCommand('Audit', z.object({ id: z.string() }));
  const ticket = (change: 'none' | 'audit' | 'ignore' | 'throw' = 'none') =>
    defineSaga('ticket', { data: z.object({}), states: ['Open', 'Closed'] })
      .initially((s) => s.when(Opened).transitionTo('Open'))
      .during('Open', (s) => {
        if (change === 'ignore') return s.ignore(Closed).when(Opened).transitionTo('Closed').finalize();
        const closed = s.when(Closed).then(() => {
          if (change === 'throw') throw new Error('closing is broken');
        });
        return (change === 'audit' ? closed.send(Audit, (ctx) => ({ id: ctx.instance.correlationId })) : closed.send(Notify, (ctx) => ({ id: ctx.instance.correlationId })))
          .transitionTo('Closed')
          .finalize();
      });

  it('reports other messages sent, an event now ignored, and an action that now throws', async () => {
    const orchestrator = new SagaOrchestrator({ sagas: [ticket()] });
    await orchestrator.publish(Opened, { id: 't-1' }, { correlationId: 't-1' });
    await orchestrator.publish(Closed, { id: 't-1' }, { correlationId: 't-1' });
    const lines = await exported(orchestrator.repository as InMemorySagaRepository, 'ticket');
    await orchestrator.close();

    expect((await replayHistories([ticket()], lines)).ok).toBe(true);
    const [audit, ignore, thrown] = await Promise.all([
      replayHistories([ticket('audit')], lines),
      replayHistories([ticket('ignore')], lines),
      replayHistories([ticket('throw')], lines),
    ]);
    expect(audit.instances[0]!.divergence).toMatchObject({ kind: 'messages', index: 1, expected: ['send Notify'], actual: ['send Audit'] });
    expect(ignore.instances[0]!.divergence).toMatchObject({ kind: 'ignored', index: 1, type: 'Closed', actual: 'Open' });
    expect(thrown.instances[0]!.divergence).toMatchObject({ kind: 'failed', index: 1, actual: 'SAGA_ACTION_FAILED' });
    expect(thrown.instances[0]!.divergence!.message).toContain('closing is broken');
  });

  it('refuses lines that are not exported histories, naming the line, and sagas it has no definition for', async () => {
    const bad = (text: string) => replayHistories([ticket()], text).then(() => null, (e: { code: string; message: string }) => `${e.code}: ${e.message}`);
    expect(await bad('\n{not json')).toMatch(/^SAGA_HISTORY_FORMAT: line 2 is not an exported history line: not JSON/);
    expect(await bad('{"format":2}')).toMatch(/line 1 .*format 2 is newer than this Sagaflow reads \(1\)/);
    expect(await bad('{"format":1,"saga":"ticket"}')).toMatch(/line 1 .*instanceId/);
    const orchestrator = new SagaOrchestrator({ sagas: [ticket()] });
    await orchestrator.publish(Opened, { id: 't-2' }, { correlationId: 't-2' });
    const lines = await exported(orchestrator.repository as InMemorySagaRepository, 'ticket');
    await orchestrator.close();
    await expect(replayHistories([OrderSaga], lines)).rejects.toMatchObject({ code: 'SAGA_UNKNOWN_SAGA' });
  });
});
