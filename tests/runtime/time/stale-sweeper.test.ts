import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, defineSaga, FakeClock, InMemorySagaRepository, SagaOrchestrator, StaleSweeper } from '../../../src/index.ts';

const Opened = defineEvent('Opened', z.object({}));
const Touched = defineEvent('Touched', z.object({}));
const Stalled = defineEvent('Stalled', z.object({ idleMs: z.number() }));
const Closed = defineEvent('Closed', z.object({}));
const Park = defineEvent('Park', z.object({}));

const Ticket = defineSaga('ticket', { data: z.object({ nudges: z.number().default(0) }), states: ['Open', 'Parked'] })
  .initially((s) => s.when(Opened).transitionTo('Open'))
  .during('Open', (s) =>
    s
      .when(Touched)
      .when(Stalled)
      .then((ctx) => void (ctx.data.nudges += 1))
      .when(Park)
      .transitionTo('Parked')
      .when(Closed)
      .finalize(),
  )
  .during('Parked', (s) => s.when(Touched).transitionTo('Open'));

describe('stale detection', () => {
  it('lists instances not updated since a time, and the sweeper raises an event for each that can take it', async () => {
    const clock = new FakeClock();
    const repository = new InMemorySagaRepository();
    const orchestrator = new SagaOrchestrator({ sagas: [Ticket], repository, clock });
    for (const id of ['a', 'b', 'c', 'd']) await orchestrator.publish(Opened, {}, { correlationId: id });
    clock.advance(30 * 60_000);
    await orchestrator.publish(Touched, {}, { correlationId: 'b' }); // fresh
    await orchestrator.publish(Closed, {}, { correlationId: 'c' }); // finished
    clock.advance(31 * 60_000);

    const stale = await repository.list({ sagaName: 'ticket', status: 'active', updatedBefore: new Date(clock.now() - 60 * 60_000) });
    expect(stale.items.map((i) => i.correlationId).sort()).toEqual(['a', 'd']);

    const sweeper = new StaleSweeper({
      orchestrator,
      saga: Ticket,
      olderThanMs: 60 * 60_000,
      event: Stalled,
      payload: (i) => ({ idleMs: clock.now() - i.updatedAt.getTime() }),
    });
    expect(await sweeper.runOnce()).toEqual({ stale: 2, raised: 2 });
    expect((await orchestrator.find(Ticket, 'a'))!.data.nudges).toBe(1);
    expect((await orchestrator.find(Ticket, 'b'))!.data.nudges).toBe(0);
    // They were just updated: not stale any more.
    expect(await sweeper.runOnce()).toEqual({ stale: 0, raised: 0 });
  });

  it('raises the event once per instance version, however many sweepers run at once', async () => {
    const clock = new FakeClock();
    const repository = new InMemorySagaRepository();
    const orchestrators = [0, 1, 2].map(() => new SagaOrchestrator({ sagas: [Ticket], repository, clock }));
    await orchestrators[0]!.publish(Opened, {}, { correlationId: 'x' });
    clock.advance(2 * 60 * 60_000);
    const sweepers = orchestrators.map(
      (orchestrator) => new StaleSweeper({ orchestrator, saga: Ticket, olderThanMs: 60 * 60_000, event: Stalled, payload: () => ({ idleMs: 0 }), onError: () => {} }),
    );
    const results = await Promise.all(sweepers.map((s) => s.runOnce()));
    expect(results.reduce((n, r) => n + r.raised, 0)).toBe(1);
    expect((await orchestrators[0]!.find(Ticket, 'x'))!.data.nudges).toBe(1);
  });

  it('leaves alone instances whose state does not handle the event', async () => {
    const clock = new FakeClock();
    const orchestrator = new SagaOrchestrator({ sagas: [Ticket], clock });
    await orchestrator.publish(Opened, {}, { correlationId: 'p' });
    await orchestrator.publish(Park, {}, { correlationId: 'p' });
    const sweeper = new StaleSweeper({ orchestrator, saga: Ticket, olderThanMs: 1, event: Stalled, payload: () => ({ idleMs: 1 }) });
    clock.advance(10);
    expect(await sweeper.runOnce()).toEqual({ stale: 1, raised: 0 });
    expect((await orchestrator.find(Ticket, 'p'))!.version).toBe(2);
    expect((await orchestrator.deadLetters.list()).items).toEqual([]);
    expect(() => new StaleSweeper({ orchestrator, saga: Ticket, olderThanMs: 0, event: Touched })).toThrow(RangeError);
  });
});
