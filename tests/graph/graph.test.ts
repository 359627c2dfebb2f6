import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DefinitionError, defineCommand, defineGraph } from '../../src/index.ts';
import { createTestHarness } from '../../src/testing/index.ts';

const Reserve = defineCommand('Reserve', z.object({ orderId: z.string() }), { output: z.object({ reservationId: z.string() }) });
const Release = defineCommand('Release', z.object({ reservationId: z.string() }));
const Charge = defineCommand('Charge', z.object({ amount: z.number() }), { output: z.object({ transactionId: z.string() }) });
const Ship = defineCommand('Ship', z.object({ reservationId: z.string(), transactionId: z.string() }), { output: z.object({ tracking: z.string() }) });

const refunded: string[] = [];
const Fulfil = defineGraph('fulfil', { input: z.object({ orderId: z.string(), amount: z.number() }) })
  .step('reserve', {
    command: Reserve,
    input: ({ input }) => ({ orderId: input.orderId }),
    compensate: { command: Release, input: ({ output }) => ({ reservationId: output.reservationId }) },
  })
  .step('charge', {
    command: Charge,
    retry: { maxRetries: 2, initialDelayMs: 1_000, jitterFactor: 0 },
    input: ({ input }) => ({ amount: input.amount }),
    compensate: ({ output }) => void refunded.push(output.transactionId),
  })
  .step('ship', {
    command: Ship,
    dependsOn: ['reserve', 'charge'],
    timeoutMs: 60_000,
    input: ({ results }) => ({ reservationId: results.reserve.reservationId, transactionId: results.charge.transactionId }),
  });

function harness(handlers: { charge?: (amount: number, attempt: number) => unknown; ship?: () => unknown } = {}) {
  const h = createTestHarness({ sagas: [Fulfil.saga] });
  const log: string[] = [];
  h.orchestrator
    .handle(Reserve, (input) => (log.push('reserve'), { reservationId: `r-${input.orderId}` }))
    .handle(Release, (input) => void log.push(`release ${input.reservationId}`))
    .handle(Charge, (input, ctx) => {
      log.push(`charge#${ctx.attempt}`);
      return (handlers.charge?.(input.amount, ctx.attempt) ?? { transactionId: `t-${input.amount}` }) as { transactionId: string };
    })
    .handle(Ship, () => (log.push('ship'), (handlers.ship?.() ?? { tracking: 'TRACK-1' }) as { tracking: string }));
  return { h, log };
}

describe('dependency graphs', () => {
  it('runs independent steps together, waits for dependencies and passes results to dependants', async () => {
    const { h, log } = harness();
    await h.publish(Fulfil.start, { orderId: 'o-1', amount: 30 }, { correlationId: 'o-1' });
    const run = await h.expectState(Fulfil.saga, 'o-1', 'Completed');
    expect(run.data.results).toEqual({ reserve: { reservationId: 'r-o-1' }, charge: { transactionId: 't-30' }, ship: { tracking: 'TRACK-1' } });
    expect(log.indexOf('ship')).toBeGreaterThan(Math.max(log.indexOf('reserve'), log.indexOf('charge#1')));
    const history = await h.repository.history(run.id);
    // The start sends both independent steps in one write; ship goes out with the answer that completes its dependencies.
    const sends = (k: number) => history[k]!.sent?.filter((m) => m.kind === 'send').map((m) => m.type);
    expect(sends(0)).toEqual(['Reserve', 'Charge']);
    expect(history.map((e) => e.eventType)).toEqual(['fulfil.Start', 'Reserve.Completed', 'Charge.Completed', 'Ship.Completed']);
    expect(sends(2)).toEqual(['Ship']);
    // Each request's timeout is scheduled with it.
    expect(history[0]!.sent?.filter((m) => m.kind === 'schedule').map((m) => m.type)).toEqual(['Reserve.TimedOut', 'Charge.TimedOut']);
    expect(run.compensation.map((c) => c.name)).toEqual(['undo:reserve', 'undo:charge']);
  });

  it('retries a failing step under its own policy, journaling every attempt', async () => {
    let calls = 0;
    // Each retry of a step is a new command, so the handler counts calls itself.
    const { h, log } = harness({ charge: () => (++calls < 3 ? Promise.reject(new Error('gateway busy')) : undefined) });
    await h.publish(Fulfil.start, { orderId: 'o-2', amount: 5 }, { correlationId: 'o-2' });
    await h.expectState(Fulfil.saga, 'o-2', 'Running');
    await h.advance(1_000);
    await h.advance(2_000);
    const run = await h.expectState(Fulfil.saga, 'o-2', 'Completed');
    expect(run.data.attempts).toEqual({ reserve: 1, charge: 3, ship: 1 });
    expect(log.filter((l) => l.startsWith('charge'))).toEqual(['charge#1', 'charge#1', 'charge#1']);
    const types = (await h.repository.history(run.id)).map((e) => e.eventType);
    expect(types.filter((t) => t === 'Charge.Failed')).toHaveLength(2);
    expect(types.filter((t) => t === 'fulfil.RetryStep')).toHaveLength(2);
  });

  it('stops the dependants of a failed step and compensates the finished steps in reverse order', async () => {
    refunded.length = 0;
    const { h, log } = harness({ ship: () => Promise.reject(Object.assign(new Error('no courier'), { code: 'NO_COURIER' })) });
    await h.publish(Fulfil.start, { orderId: 'o-3', amount: 12 }, { correlationId: 'o-3' });
    const run = await h.waitForState(Fulfil.saga, 'o-3', 'Failed');
    expect(run.status).toBe('faulted');
    expect(run.data.failure).toEqual({ step: 'ship', code: 'NO_COURIER', message: 'no courier' });
    // charge finished after reserve, so it is undone first.
    expect(refunded).toEqual(['t-12']);
    expect(log.at(-1)).toBe('release r-o-3');
    expect((await h.compensations(Fulfil.saga, 'o-3')).map((c) => c.step)).toEqual(['undo:charge', 'undo:reserve']);
  });

  it('never starts a dependant after a failure, and waits for running steps before compensating', async () => {
    refunded.length = 0;
    const { h, log } = harness({ charge: () => Promise.reject(new Error('declined')) });
    await h.publish(Fulfil.start, { orderId: 'o-4', amount: 7 }, { correlationId: 'o-4' });
    await h.advance(1_000);
    await h.advance(2_000);
    const run = await h.waitForState(Fulfil.saga, 'o-4', 'Failed');
    expect(log).not.toContain('ship');
    expect(run.data.failure).toMatchObject({ step: 'charge', message: 'declined' });
    expect(run.data.attempts.charge).toBe(3);
    expect(log).toContain('release r-o-4');
    expect(refunded).toEqual([]);
  });

  it('counts a step that never answers as failed after its timeout', async () => {
    const h = createTestHarness({ sagas: [Fulfil.saga] });
    h.orchestrator
      .handle(Reserve, () => ({ reservationId: 'r' }))
      .handle(Release, () => undefined)
      .handle(Charge, () => ({ transactionId: 't' }));
    await h.publish(Fulfil.start, { orderId: 'o-5', amount: 1 }, { correlationId: 'o-5' });
    await h.expectState(Fulfil.saga, 'o-5', 'Running');
    await h.advance(60_000);
    const run = await h.waitForState(Fulfil.saga, 'o-5', 'Failed');
    expect(run.data.failure).toMatchObject({ step: 'ship', code: 'SAGA_COMMAND_TIMEOUT' });
  });

  it('compiles to a saga machine and diagram like any other, and checks the graph when it is declared', () => {
    expect(Fulfil.saga.machine.config.states).toHaveProperty('Running');
    expect(Fulfil.saga.toMermaid()).toContain('Running --> Stopping');
    const base = defineGraph('g', { input: z.object({}) });
    expect(() => base.step('a', { command: Reserve, dependsOn: ['nope' as never], input: () => ({ orderId: 'x' }) })).toThrow(DefinitionError);
    const one = base.step('a', { command: Reserve, input: () => ({ orderId: 'x' }) });
    expect(() => one.step('a', { command: Reserve, input: () => ({ orderId: 'x' }) })).toThrow(/twice/);
    expect(() => base.saga).toThrow(/at least one step/);
    expect(() => one.step('b', { command: Reserve, retry: -1, input: () => ({ orderId: 'x' }) })).toThrow(DefinitionError);
  });
});
