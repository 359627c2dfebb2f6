/**
 * Schedules on real PostgreSQL: three processes' relays (each its own repository and pool) deliver due
 * timeouts concurrently, each exactly once; a timeout racing a real event across processes; deadlines on
 * the database's clock.
 */
import { describe, expect, it } from 'vitest';
import { createEnvelope, FakeClock, InProcessBus, OutboxRelay, SagaOrchestrator, type Envelope } from '../../src/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';
import { MINUTE, OrderPlaced, PaymentReceived, PaymentSaga, PaymentTimedOut } from '../runtime/time/payment-saga.ts';

const db = useTestDatabase();

async function process(clock: FakeClock, options: { time?: 'clock' | 'store' } = {}) {
  const repository = await db.repository({ poolSize: 4 });
  const bus = new InProcessBus();
  const timeouts: Envelope[] = [];
  bus.subscribe(PaymentTimedOut.name, (e) => void timeouts.push(e));
  const orchestrator = new SagaOrchestrator({
    sagas: [PaymentSaga],
    repository,
    bus,
    clock,
    relay: { batchSize: 7, concurrency: 4, ...(options.time && { time: options.time }) },
    onError: () => {},
  });
  return { repository, bus, orchestrator, timeouts };
}

describe('schedules on PostgreSQL', () => {
  it('delivers every due timeout exactly once with three schedulers claiming at once', async () => {
    const clock = new FakeClock(Date.UTC(2030, 0, 1));
    const processes = await Promise.all([0, 1, 2].map(() => process(clock)));
    const orders = Array.from({ length: 90 }, (_, i) => `p-${i}`);
    await Promise.all(orders.map((id, i) => processes[i % 3]!.orchestrator.publish(OrderPlaced, { orderId: id })));
    clock.advance(MINUTE);
    // Every relay claims and delivers concurrently until nothing is due.
    for (let round = 0; round < 50; round++) {
      const passes = await Promise.all(processes.map((p) => p.orchestrator.relay!.runOnce()));
      await Promise.all(processes.map((p) => p.orchestrator.idle()));
      if (passes.every((p) => p.claimed === 0)) break;
    }
    const delivered = processes.flatMap((p) => p.timeouts.map((e) => e.messageId));
    expect(delivered).toHaveLength(90);
    expect(new Set(delivered).size).toBe(90);
    expect(processes.every((p) => p.timeouts.length > 0)).toBe(true); // the work was really shared
    const states = await Promise.all(orders.map((id) => processes[0]!.orchestrator.find(PaymentSaga, id)));
    expect(states.every((s) => s?.state === 'TimedOut' && s.status === 'faulted' && (s.schedules ?? []).length === 0)).toBe(true);
    // Finished instances left no scheduled messages behind (the deadline was cancelled with them).
    expect(await processes[0]!.repository.outboxSize()).toBe(0);
  });

  it('lets exactly one of a timeout and a real event win, across processes', async () => {
    const clock = new FakeClock(Date.UTC(2031, 0, 1));
    const [a, b] = await Promise.all([process(clock), process(clock)]);
    for (let round = 0; round < 12; round++) {
      const id = `race-${round}`;
      await a!.orchestrator.publish(OrderPlaced, { orderId: id });
      const claimed = await a!.repository.claimOutbox({ limit: 100, now: new Date(clock.now() + MINUTE), leaseUntil: new Date(clock.now() + 2 * MINUTE) });
      const timeout = claimed.find((m) => m.envelope.type === PaymentTimedOut.name && m.envelope.correlationId === id)!;
      const payment = createEnvelope('event', PaymentReceived.name, { orderId: id }, {});
      await Promise.all([a!.orchestrator.dispatch(timeout.envelope).catch(() => {}), b!.orchestrator.dispatch(payment).catch(() => {})]);
      const final = await b!.orchestrator.find(PaymentSaga, id);
      const history = (await b!.repository.history(final!.id)).map((h) => h.eventType);
      if (final!.state === 'TimedOut') {
        expect(history).toEqual(['OrderPlaced', 'PaymentTimedOut', 'sagaflow.compensation.step']);
      } else {
        expect(final!.state).toBe('Paid');
        expect(history).toEqual(['OrderPlaced', 'PaymentReceived']);
      }
    }
  });

  it("fires on the database's clock when the relay is told to", async () => {
    // The orchestrator's clock is an hour behind: on its own clock nothing would be due yet.
    const clock = new FakeClock(Date.now() - 60 * MINUTE - 5_000);
    const p = await process(clock, { time: 'store' });
    await p.orchestrator.publish(OrderPlaced, { orderId: 'db-time' });
    const behind = new OutboxRelay({ repository: p.repository, bus: p.bus, clock });
    // The timeout is due at (app clock + 1 min): not yet by the app clock, 59 minutes ago by the database's.
    expect((await behind.runOnce()).claimed).toBe(0);
    for (let i = 0; i < 5 && p.timeouts.length === 0; i++) await p.orchestrator.relay!.runOnce();
    await p.orchestrator.idle();
    expect(p.timeouts.map((e) => e.correlationId)).toEqual(['db-time']);
  });
});
