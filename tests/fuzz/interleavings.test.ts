/**
 * Random schedules on the in-memory model (fast-check, fixed seed): several orders whose events arrive
 * interleaved, some twice at once (to one process, or to two racing on the same store) and some again
 * later; relay passes at random times; and processes that
 * die at a random commit (order processes and, separately, the services process that consumes their
 * commands), after which a new process on the same store runs `recover()` and relay passes with the
 * clock past the lease. Once every event was delivered and everything settled:
 * - every order is final, in the state and status its story ends in;
 * - each compensation step's effect happened once, in LIFO order; a step ran again only after a crash;
 * - every message an outbox commit holds was delivered, and applied once by the services saga;
 * - each instance's history is sequence 1..version with no message id twice; the outbox is empty;
 * - nothing was dead-lettered, and nothing failed but the simulated crashes.
 */
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { FakeClock, InMemorySagaRepository, InProcessBus, type Envelope, type OutboxEntry } from '../../src/index.ts';
import { interleavingRepository, SimulatedCrash } from '../helpers/faulty-repository.ts';
import { FUZZ_SEED, INTERLEAVING_RUNS, INTERLEAVING_SHAPE as SHAPE } from './figures.ts';
import { Effects, LEASE_MS, Process, recordingRepository, SCRIPTS, scriptEvents, type ScriptName } from './interleaving-model.ts';

type Command =
  | { deliver: number }
  | { burst: number[] }
  | { twiceAtOnce: number }
  | { elsewhereAtOnce: number }
  | { redeliver: number; pick: number }
  | { relayAfterMs: number }
  | { settle: true };

interface Schedule {
  readonly orders: ScriptName[];
  readonly commands: Command[];
  /** Order process n dies at its crashes[n]-th commit; processes after the last never die. */
  readonly crashes: number[];
  /** The same for the processes running the services saga. */
  readonly serviceCrashes: number[];
}

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ deliver: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ burst: fc.array(fc.nat(9), { minLength: 2, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ twiceAtOnce: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ elsewhereAtOnce: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ redeliver: fc.nat(9), pick: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ relayAfterMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 * LEASE_MS })) }) },
  { weight: 1, arbitrary: fc.constant({ settle: true as const }) },
);

const schedule: fc.Arbitrary<Schedule> = fc.record({
  orders: fc.array(fc.constantFrom<ScriptName>('shipped', 'paymentFailed', 'outOfStock', 'notShipped'), {
    minLength: SHAPE.minOrders,
    maxLength: SHAPE.maxOrders,
  }),
  commands: fc.array(command, { maxLength: SHAPE.maxCommands, size: 'medium' }),
  // Commit indexes: a schedule makes roughly 10-50 commits per process.
  crashes: fc.array(fc.nat(30), { maxLength: SHAPE.maxCrashes, size: 'max' }),
  serviceCrashes: fc.array(fc.nat(15), { maxLength: SHAPE.maxCrashes, size: 'max' }),
});

const totals = {
  runs: 0,
  commands: 0,
  deliveries: 0,
  competingDeliveries: 0,
  lostRaces: 0,
  crashes: 0,
  schedulesWithACrash: 0,
  resumedCompensations: 0,
  relayPasses: 0,
};

afterAll(() => {
  console.log(
    `[fuzz] interleavings: ${totals.runs} schedules (seed ${FUZZ_SEED}), ${totals.commands} commands, ` +
      `${totals.deliveries} deliveries (${totals.competingDeliveries} raced by a second process, which lost ${totals.lostRaces} commits), ` +
      `${totals.relayPasses} relay passes, ${totals.crashes} crashes ` +
      `(in ${totals.schedulesWithACrash} schedules; ${totals.resumedCompensations} compensations resumed by recover())`,
  );
});

interface Order {
  readonly script: ScriptName;
  readonly id: string;
  readonly events: readonly Envelope[];
  /** Events before this index were acknowledged (receive resolved); the next one is due. */
  next: number;
}

/** Runs a schedule to the end (every event delivered, everything settled) and returns what to check. */
async function play(s: Schedule) {
  const base = new InMemorySagaRepository();
  const clock = new FakeClock();
  const effects = new Effects();
  const committed = new Map<string, OutboxEntry>();
  const delivered = new Map<string, number>();
  const shared = recordingRepository(base, committed);
  const transport = new InProcessBus();
  transport.subscribe('*', (envelope) => void delivered.set(envelope.messageId, (delivered.get(envelope.messageId) ?? 0) + 1));
  const crashes = { orders: [...s.crashes], services: [...s.serviceCrashes] };
  const start = (role: 'orders' | 'services') => new Process({ role, shared, transport, clock, effects, crashAt: crashes[role].shift() });
  const dead: Process[] = [];
  const rivals: Process[] = [];
  /** Anything but the simulated crash: thrown errors, dead letters. */
  const unexpected: unknown[] = [];
  let proc = start('orders');
  let services = start('services');
  const orders: Order[] = s.orders.map((script, i) => ({ script, id: `order-${i}`, events: scriptEvents(script, `order-${i}`), next: 0 }));

  const note = (error: unknown) => {
    if (!(error instanceof SimulatedCrash)) unexpected.push(error);
  };
  const receive = async (envelope: Envelope, by: Process = proc): Promise<boolean> => {
    totals.deliveries++;
    try {
      const result = await by.orchestrator.receive(envelope);
      if (result.status !== 'handled') unexpected.push(result.deadLetter);
      return true;
    } catch (error) {
      note(error);
      return false;
    }
  };
  const deliverNext = async (i: number) => {
    const o = orders[i % orders.length]!;
    const at = o.next;
    if (at < o.events.length && (await receive(o.events[at]!))) o.next = Math.max(o.next, at + 1);
  };
  /** The next event of an order, at once to the order process and to a second one that races it. */
  const elsewhereAtOnce = async (i: number) => {
    const o = orders[i % orders.length]!;
    const at = o.next;
    if (at >= o.events.length) return;
    totals.competingDeliveries++;
    const racing = interleavingRepository(shared);
    const rival = new Process({ role: 'orders', shared: racing, transport, clock, effects, crashAt: undefined });
    rivals.push(rival);
    const acks = await Promise.all([receive(o.events[at]!), receive(o.events[at]!, rival)]);
    if (acks.some(Boolean)) o.next = Math.max(o.next, at + 1);
    await rival.orchestrator.idle();
    await rival.orchestrator.close();
    totals.lostRaces += racing.conflicts;
  };
  const idle = async () => {
    await proc.orchestrator.idle();
    await services.orchestrator.idle();
  };
  const relayPass = async () => {
    totals.relayPasses++;
    await proc.orchestrator.relay!.runOnce();
  };
  const relayDrain = async () => {
    for (let pass = 0; pass < 20; pass++) {
      totals.relayPasses++;
      const { claimed } = await proc.orchestrator.relay!.runOnce();
      await idle();
      if (claimed === 0) return;
    }
  };
  /**
   * A process died: let it finish failing and start its successor. A new services process subscribes
   * before the dead one leaves (a broker keeps the queue meanwhile); a new order process recovers, and
   * relays with the clock past the lease.
   */
  const restart = async () => {
    while (proc.dead || services.dead) {
      totals.crashes++;
      const old = proc.dead ? proc : services;
      if (old === services) services = start('services');
      await old.orchestrator.idle();
      await old.orchestrator.close();
      dead.push(old);
      if (old !== proc) continue;
      proc = start('orders');
      try {
        totals.resumedCompensations += await proc.orchestrator.recover();
        clock.advance(LEASE_MS + 1);
        await relayDrain();
      } catch (error) {
        note(error);
      }
    }
  };
  const step = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      note(error);
    }
    await restart();
  };

  for (const c of s.commands) {
    totals.commands++;
    if ('deliver' in c) await step(() => deliverNext(c.deliver));
    else if ('burst' in c) await step(() => Promise.all(c.burst.map(deliverNext)));
    else if ('twiceAtOnce' in c) await step(() => Promise.all([deliverNext(c.twiceAtOnce), deliverNext(c.twiceAtOnce)]));
    else if ('elsewhereAtOnce' in c) await step(() => elsewhereAtOnce(c.elsewhereAtOnce));
    else if ('redeliver' in c) {
      const o = orders[c.redeliver % orders.length]!;
      if (o.next > 0) await step(() => receive(o.events[c.pick % o.next]!));
    } else if ('relayAfterMs' in c) {
      clock.advance(c.relayAfterMs);
      await step(relayPass);
    } else await step(idle);
  }

  // The rest of every story, then settle: idle, past every lease, relay, recover.
  for (let round = 0; ; round++) {
    if (round > 20) throw new Error('the schedule does not settle');
    const deaths = dead.length;
    for (let i = 0; i < orders.length; i++) {
      while (orders[i]!.next < orders[i]!.events.length && dead.length === deaths) await step(() => deliverNext(i));
    }
    await step(idle);
    clock.advance(LEASE_MS + 1);
    await step(relayDrain);
    await step(async () => (totals.resumedCompensations += await proc.orchestrator.recover()));
    await step(idle);
    if (dead.length === deaths && orders.every((o) => o.next === o.events.length)) break;
  }
  if (dead.length > 0) totals.schedulesWithACrash++;
  return { base, effects, committed, delivered, orders, processes: [...dead, ...rivals, proc, services], orderCrashes: dead.filter((p) => p.role === 'orders').length, unexpected };
}

async function expectSettled({ base, effects, committed, delivered, orders, processes, orderCrashes, unexpected }: Awaited<ReturnType<typeof play>>) {
  expect(unexpected).toEqual([]);
  // Deliveries to a dead services process fail; the relay delivers them again. Nothing else may fail.
  for (const p of processes) for (const e of p.errors) expect(e).toBeInstanceOf(SimulatedCrash);
  expect(await base.outboxSize()).toBe(0);
  expect((await base.listDeadLetters()).items).toEqual([]);

  for (const o of orders) {
    const expected = SCRIPTS[o.script];
    const order = (await base.findByCorrelation('order', o.id))!;
    expect(order, o.id).toMatchObject({ state: expected.state, status: expected.status });
    // A rolled-back order unwound its stack; a completed one keeps its entries, never started.
    if (expected.compensations.length > 0) expect(order.compensation).toEqual([]);
    else expect(order.compensation.every((e) => e.attempts === 0)).toBe(true);
    const history = await expectJournal(base, order.id, order.version);
    const steps = history.filter((h) => h.eventType === 'sagaflow.compensation.step').map((h) => (h.payload as { step: string }).step);
    expect(steps, `${o.id}: compensation steps committed`).toEqual(expected.compensations);

    // Effects: exactly the expected ones, first done in LIFO order; a second run only after a crash.
    expect(effects.firstOrder.get(o.id) ?? [], `${o.id}: compensation effects`).toEqual(expected.compensations);
    for (const stepName of expected.compensations) {
      const runs = effects.attempts.get(`${o.id} ${stepName}`)!;
      expect(runs, `${o.id} ${stepName}: runs with ${orderCrashes} crash(es)`).toBeLessThanOrEqual(1 + orderCrashes);
    }

    // The outbox: each committed message delivered, and applied once by the services saga.
    const sent = [...committed.values()].filter((e) => (e.envelope.payload as { orderId: string }).orderId === o.id);
    for (const e of sent) expect(delivered.get(e.envelope.messageId) ?? 0, `${e.envelope.type} delivered`).toBeGreaterThanOrEqual(1);
    const services = (await base.findByCorrelation('services', o.id))!;
    const applied = await expectJournal(base, services.id, services.version);
    expect(applied.map((h) => h.messageId).sort()).toEqual(sent.map((e) => e.envelope.messageId).sort());
    expect(applied.map((h) => h.eventType).sort()).toEqual([...expected.commands].sort());
  }
  const orderIds = new Set(orders.map((o) => o.id));
  expect([...effects.applied].every((key) => orderIds.has(key.split(' ')[0]!))).toBe(true);
}

/** History is 1..version, one row per write, no message id twice. */
async function expectJournal(base: InMemorySagaRepository, instanceId: string, version: number) {
  const history = await base.history(instanceId);
  expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
  expect(new Set(history.map((h) => h.messageId)).size).toBe(history.length);
  return history;
}

it('random interleavings, duplicates, relay passes and crashes settle with every saga final and every message applied once', async () => {
  await fc.assert(
    fc.asyncProperty(schedule, async (s) => {
      totals.runs++;
      await expectSettled(await play(s));
    }),
    { seed: FUZZ_SEED, numRuns: INTERLEAVING_RUNS },
  );
});
