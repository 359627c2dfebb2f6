import { afterEach, describe, expect, it } from 'vitest';
import { createEnvelope, DefinitionError, defineEvent, defineSaga, InMemorySagaRepository, SagaOrchestrator } from '../../../src/index.ts';
import { createTestHarness, type SagaTestHarness } from '../../../src/testing/index.ts';
import { interleavingRepository } from '../../helpers/faulty-repository.ts';
import { z } from 'zod';
import {
  HOUR,
  MINUTE,
  OrderExpired,
  OrderPlaced,
  PaymentReceived,
  PaymentSaga,
  PaymentTimedOut,
  Remind,
  Reserve,
  Shipped,
  Snooze,
  Unreserve,
} from './payment-saga.ts';

describe('state timeouts, deadlines and schedules', () => {
  let harness: SagaTestHarness;
  afterEach(async () => harness?.dispose());

  it('fires a state timeout when the instance is still in the state, and not a millisecond before', async () => {
    harness = createTestHarness({ sagas: [PaymentSaga] });
    await harness.publish(OrderPlaced, { orderId: 'o-1' });
    await harness.advance(MINUTE - 1);
    await harness.expectState(PaymentSaga, 'o-1', 'AwaitingPayment');
    await harness.advance(1);
    const timedOut = await harness.expectState(PaymentSaga, 'o-1', 'TimedOut');
    expect(timedOut.status).toBe('faulted');
    expect(harness.published(PaymentTimedOut)[0]!.payload).toEqual({ orderId: 'o-1' });
    expect(harness.sent(Unreserve)).toHaveLength(1);
    // A finished instance holds no schedules, and the outbox holds none of its messages.
    expect(timedOut.schedules ?? []).toEqual([]);
    expect(await harness.repository.outboxSize()).toBe(0);
  });

  it('cancels the timeout when the instance leaves the state: it never fires', async () => {
    harness = createTestHarness({ sagas: [PaymentSaga] });
    await harness.publish(OrderPlaced, { orderId: 'o-2' });
    await harness.advance(30_000);
    await harness.publish(PaymentReceived, { orderId: 'o-2' });
    await harness.advance(10 * MINUTE);
    await harness.expectState(PaymentSaga, 'o-2', 'Paid');
    expect(harness.published(PaymentTimedOut)).toEqual([]);
    const paid = await harness.instance(PaymentSaga, 'o-2');
    expect(paid!.schedules!.map((s) => s.key).sort()).toEqual(['Remind', 'deadline']);
  });

  it('delivers an action-scheduled event when due, and a re-schedule under the same key supersedes it', async () => {
    harness = createTestHarness({ sagas: [PaymentSaga] });
    await harness.publish(OrderPlaced, { orderId: 'o-3' });
    await harness.publish(PaymentReceived, { orderId: 'o-3' });
    await harness.advance(HOUR);
    expect((await harness.instance(PaymentSaga, 'o-3'))!.data.reminders).toBe(1);
    await harness.advance(HOUR);
    expect((await harness.instance(PaymentSaga, 'o-3'))!.data.reminders).toBe(2);
    // Snooze for 5 minutes: the pending hourly reminder is replaced, not added to.
    await harness.publish(Snooze, { minutes: 5 }, { correlationId: 'o-3' });
    await harness.advance(5 * MINUTE);
    expect((await harness.instance(PaymentSaga, 'o-3'))!.data.reminders).toBe(3);
    await harness.advance(HOUR - 1);
    expect((await harness.instance(PaymentSaga, 'o-3'))!.data.reminders).toBe(3);
    expect(harness.published(Remind).map((m) => m.payload.n)).toEqual([1, 2, 3]);
  });

  it('drops a scheduled message that was already on its way when its schedule was cancelled', async () => {
    harness = createTestHarness({ sagas: [PaymentSaga] });
    await harness.publish(OrderPlaced, { orderId: 'o-4' });
    await harness.publish(PaymentReceived, { orderId: 'o-4' });
    harness.clock.advance(HOUR);
    // A relay elsewhere has claimed the reminder and is about to deliver it...
    const [inFlight] = await harness.repository.claimOutbox({ limit: 10, now: new Date(harness.clock.now()), leaseUntil: new Date(harness.clock.now() + 60_000) });
    expect(inFlight!.envelope.type).toBe('Remind');
    // ...when the order ships, which cancels the reminder.
    await harness.publish(Shipped, { orderId: 'o-4' });
    const result = await harness.orchestrator.dispatch(inFlight!.envelope);
    expect(result.outcomes[0]).toMatchObject({ result: 'ignored', reason: 'stale-schedule', state: 'Shipped' });
    expect((await harness.instance(PaymentSaga, 'o-4'))!.data.reminders).toBe(0);
  });

  it('resolves a timeout racing a real event by the version check and the state: exactly one wins', async () => {
    let timedOut = 0;
    let paid = 0;
    for (let round = 0; round < 20; round++) {
      const shared = interleavingRepository(new InMemorySagaRepository());
      const clock = { now: () => Date.UTC(2025, 0, 1) + (round > 0 ? MINUTE : 0) };
      const [a, b] = [0, 1].map(() => new SagaOrchestrator({ sagas: [PaymentSaga], repository: shared, clock, relay: false }));
      const id = `race-${round}`;
      await a!.publish(OrderPlaced, { orderId: id });
      const [timeout] = await shared.claimOutbox({ limit: 10, now: new Date(clock.now() + MINUTE), leaseUntil: new Date(clock.now() + 2 * MINUTE) }).then((m) => m.filter((x) => x.envelope.type === 'PaymentTimedOut'));
      const payment = createEnvelope('event', PaymentReceived.name, { orderId: id }, {});
      // Either may start first; the version check decides, whichever it is.
      const fire = () => a!.dispatch(timeout!.envelope);
      const pay = () => b!.dispatch(payment).catch((e: unknown) => e);
      const outcomes =
        round % 2 === 0 ? await Promise.all([fire(), pay()]) : await Promise.all([pay(), fire()]).then(([p, t]) => [t, p] as const);
      const final = await a!.find(PaymentSaga, id);
      if (final!.state === 'TimedOut') {
        timedOut++;
        // The payment came second: the timed-out order is finished, so the payment is not applied.
        expect(outcomes[1]).toMatchObject({ code: 'SAGA_EVENT_UNHANDLED' });
      } else {
        paid++;
        expect(final!.state).toBe('Paid');
        expect(outcomes[0].outcomes[0]).toMatchObject({ result: 'ignored', reason: 'stale-schedule' });
      }
      // Created, then exactly one of the two (plus the compensation step the timeout ran).
      const events = (await shared.history(final!.id)).map((h) => h.eventType);
      expect(events).toEqual(final!.state === 'TimedOut' ? ['OrderPlaced', 'PaymentTimedOut', 'sagaflow.compensation.step'] : ['OrderPlaced', 'PaymentReceived']);
    }
    expect(timedOut + paid).toBe(20);
    expect(timedOut).toBeGreaterThan(0);
    expect(paid).toBeGreaterThan(0);
  });

  it('fires the deadline for an instance that has not finished, which compensates it', async () => {
    harness = createTestHarness({ sagas: [PaymentSaga] });
    await harness.publish(OrderPlaced, { orderId: 'o-5' });
    await harness.publish(PaymentReceived, { orderId: 'o-5' });
    await harness.advance(24 * HOUR);
    const expired = await harness.expectState(PaymentSaga, 'o-5', 'Expired');
    expect(expired.status).toBe('faulted');
    expect(harness.published(OrderExpired)).toHaveLength(1);
    expect(harness.sent(Reserve)).toHaveLength(1);
    expect(harness.sent(Unreserve)).toHaveLength(1);
    // The deadline cancelled the reminder that was still pending: nothing more arrives.
    const reminders = harness.published(Remind).length;
    await harness.advance(10 * HOUR);
    expect(harness.published(Remind)).toHaveLength(reminders);
    expect(await harness.repository.outboxSize()).toBe(0);
  });

  it('lets several relays deliver due schedules concurrently, each exactly once', async () => {
    harness = createTestHarness({ sagas: [PaymentSaga] });
    for (let i = 0; i < 30; i++) await harness.publish(OrderPlaced, { orderId: `m-${i}` });
    harness.clock.advance(MINUTE);
    const { OutboxRelay } = await import('../../../src/index.ts');
    const relays = [0, 1, 2].map(() => new OutboxRelay({ repository: harness.repository, bus: harness.bus, clock: harness.clock, batchSize: 4 }));
    for (let pass = 0; pass < 20; pass++) await Promise.all(relays.map((r) => r.runOnce()));
    await harness.settle();
    expect(harness.published(PaymentTimedOut)).toHaveLength(30);
    expect(new Set(harness.published(PaymentTimedOut).map((m) => m.messageId)).size).toBe(30);
  });

  it('rejects timeouts nobody handles and nonsense durations when the saga is defined', () => {
    const Tick = defineEvent('Tick', z.object({}));
    const base = defineSaga('t', { data: z.object({}), states: ['A'] }).initially((s) => s.when(Tick).transitionTo('A'));
    expect(() => base.timeout('A', { after: 1000, event: Tick }).compiled).toThrow(/not handled in 'A'/);
    expect(() => base.timeout('A', { after: -5, event: Tick })).toThrow(DefinitionError);
    expect(() => base.timeout('Nope' as 'A', { after: 5, event: Tick })).toThrow(/no such state/);
    expect(() => base.deadline({ after: 1000, event: Tick }).compiled).not.toThrow(); // Tick is handled in Initial
  });
});
