/**
 * Every DSL verb, run through a real SagaOrchestrator on the in-memory defaults
 * (InMemorySagaRepository, InProcessBus).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ActionError,
  defineCommand,
  defineEvent,
  defineSaga,
  EnvelopeError,
  FakeClock,
  InstanceDataError,
  InProcessBus,
  InstanceNotFoundError,
  SagaOrchestrator,
  SagaStatus,
  UnhandledEventError,
  type AnySaga,
  type Envelope,
  type SagaOrchestratorOptions,
  type SagaOutcome,
} from '../../src/index.ts';

// --- Shared messages ----------------------------------------------------------------------------------
const Started = defineEvent('Started', z.object({ n: z.number().default(0), tag: z.string().optional() }));
const Poked = defineEvent('Poked', z.object({ n: z.number().default(0) }));
const Finished = defineEvent('Finished', z.object({}));
const Noticed = defineEvent('Noticed', z.object({ note: z.string() }));
const DoWork = defineCommand('DoWork', z.object({ job: z.string(), priority: z.number().default(1) }));

const Counter = z.object({ count: z.number().default(0), log: z.array(z.string()).default([]) });

function start(saga: AnySaga, options: Partial<SagaOrchestratorOptions> = {}) {
  const orchestrator = new SagaOrchestrator({ sagas: [saga], ...options });
  return { orchestrator, repository: orchestrator.repository };
}

function applied(outcome: SagaOutcome | undefined): Extract<SagaOutcome, { result: 'applied' }> {
  expect(outcome?.result).toBe('applied');
  return outcome as Extract<SagaOutcome, { result: 'applied' }>;
}

/** Returns what `promise` rejected with, failing the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

// --- initially -----------------------------------------------------------------------------------------
describe('initially', () => {
  const Saga = defineSaga('init', { data: Counter, states: ['Running'] })
    .initially((s) =>
      s
        .when(Started)
        .then((ctx) => {
          ctx.data.count = ctx.event.n;
        })
        .transitionTo('Running'),
    )
    .during('Running', (s) => s.when(Poked).then((ctx) => void (ctx.data.count += 1)));

  it('creates an instance in the state its chain transitions to, at version 1', async () => {
    const { orchestrator } = start(Saga);
    const result = await orchestrator.publish(Started, { n: 7 }, { correlationId: 'c-1' });
    const outcome = applied(result.outcomes[0]);
    expect(outcome).toMatchObject({ created: true, stateBefore: 'Initial', state: 'Running', status: 'active', version: 1 });
    const found = await orchestrator.find(Saga, 'c-1');
    expect(found).toMatchObject({ state: 'Running', version: 1, status: 'active', data: { count: 7 } });
  });

  it('does not create an instance for an event that only a during() handles', async () => {
    const { orchestrator } = start(Saga);
    await expect(orchestrator.publish(Poked, {}, { correlationId: 'c-1' })).rejects.toBeInstanceOf(InstanceNotFoundError);
    expect(await orchestrator.find(Saga, 'c-1')).toBeNull();
  });

  it('a second event that starts instances goes to the existing instance instead of creating another', async () => {
    const Restartable = defineSaga('restartable', { data: Counter, states: ['Running'] })
      .initially((s) => s.when(Started).then((ctx) => void (ctx.data.count = 1)).transitionTo('Running'))
      .during('Running', (s) => s.when(Started).then((ctx) => void (ctx.data.count += 10)));
    const { orchestrator } = start(Restartable);
    await orchestrator.publish(Started, {}, { correlationId: 'c-1' });
    const second = applied((await orchestrator.publish(Started, {}, { correlationId: 'c-1' })).outcomes[0]);
    expect(second).toMatchObject({ created: false, version: 2 });
    expect((await orchestrator.find(Restartable, 'c-1'))?.data.count).toBe(11);
  });

  it('gives the first actions the data schema defaults, as the data type promises', async () => {
    let seen: unknown;
    const Defaults = defineSaga('defaults', {
      data: z.object({ count: z.number().default(5), items: z.array(z.string()).default([]) }),
      states: ['Running'],
    })
      .initially((s) =>
        s
          .when(Started)
          .then((ctx) => {
            seen = structuredClone(ctx.data);
          })
          .transitionTo('Running'),
      );
    const { orchestrator } = start(Defaults);
    await orchestrator.publish(Started, {}, { correlationId: 'c-1' });
    expect(seen).toEqual({ count: 5, items: [] });
  });

  it('gives every new instance its own copy of initialData', async () => {
    const Shared = defineSaga('shared', {
      data: z.object({ items: z.array(z.string()) }),
      states: ['Running'],
      initialData: { items: [] },
    }).initially((s) =>
      s
        .when(Started)
        .then((ctx) => void ctx.data.items.push(ctx.event.tag ?? '?'))
        .transitionTo('Running'),
    );
    const { orchestrator } = start(Shared);
    await orchestrator.publish(Started, { tag: 'a' }, { correlationId: 'c-1' });
    await orchestrator.publish(Started, { tag: 'b' }, { correlationId: 'c-2' });
    expect((await orchestrator.find(Shared, 'c-1'))?.data.items).toEqual(['a']);
    expect((await orchestrator.find(Shared, 'c-2'))?.data.items).toEqual(['b']);
  });
});

// --- during --------------------------------------------------------------------------------------------
describe('during', () => {
  const Saga = defineSaga('during', { data: Counter, states: ['A', 'B', 'C'] })
    .initially((s) =>
      s
        .when(Started, (ctx) => ctx.event.n === 1)
        .transitionTo('A')
        .when(Started, (ctx) => ctx.event.n === 2)
        .transitionTo('B')
        .when(Started)
        .transitionTo('C'),
    )
    .during('A', (s) => s.when(Finished).then((ctx) => void ctx.data.log.push('A only')))
    .during('B', 'C', (s) => s.when(Poked).then((ctx) => void ctx.data.log.push(`shared in ${ctx.instance.state}`)));

  it('with one state handles its events in that state only', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'a' });
    await orchestrator.publish(Started, { n: 2 }, { correlationId: 'b' });
    await orchestrator.publish(Finished, {}, { correlationId: 'a' });
    expect((await orchestrator.find(Saga, 'a'))?.data.log).toEqual(['A only']);
    await expect(orchestrator.publish(Finished, {}, { correlationId: 'b' })).rejects.toBeInstanceOf(UnhandledEventError);
  });

  it('with several states applies the same handlers in each of them', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, { n: 2 }, { correlationId: 'b' });
    await orchestrator.publish(Started, { n: 3 }, { correlationId: 'c' });
    await orchestrator.publish(Poked, {}, { correlationId: 'b' });
    await orchestrator.publish(Poked, {}, { correlationId: 'c' });
    expect((await orchestrator.find(Saga, 'b'))?.data.log).toEqual(['shared in B']);
    expect((await orchestrator.find(Saga, 'c'))?.data.log).toEqual(['shared in C']);
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'a' });
    await expect(orchestrator.publish(Poked, {}, { correlationId: 'a' })).rejects.toBeInstanceOf(UnhandledEventError);
  });

  it('handlers of several during() blocks for one state are all in effect', async () => {
    const Split = defineSaga('split', { data: Counter, states: ['A', 'Done'] })
      .initially((s) => s.when(Started).transitionTo('A'))
      .during('A', (s) => s.when(Poked).then((ctx) => void (ctx.data.count += 1)))
      .during('A', (s) => s.when(Finished).transitionTo('Done'));
    const { orchestrator } = start(Split);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, {}, { correlationId: 'x' });
    await orchestrator.publish(Finished, {}, { correlationId: 'x' });
    expect(await orchestrator.find(Split, 'x')).toMatchObject({ state: 'Done', data: { count: 1 } });
  });
});

// --- duringAny -----------------------------------------------------------------------------------------
describe('duringAny', () => {
  const Saga = defineSaga('any', { data: Counter, states: ['A', 'B', 'Locked', 'Done'] })
    .initially((s) =>
      s
        .when(Started, (ctx) => ctx.event.n === 1)
        .transitionTo('A')
        .when(Started, (ctx) => ctx.event.n === 2)
        .transitionTo('B')
        .when(Started)
        .transitionTo('Locked'),
    )
    .during('A', 'B', 'Locked', (s) => s.when(Finished).transitionTo('Done').finalize())
    // Locked's own handler overrides the duringAny one.
    .during('Locked', (s) => s.when(Noticed).then((ctx) => void ctx.data.log.push(`locked: ${ctx.event.note}`)))
    .duringAny((s) =>
      s
        .when(Noticed)
        .then((ctx) => void ctx.data.log.push(`any in ${ctx.instance.state}: ${ctx.event.note}`))
        .when(Poked)
        .then((ctx) => void (ctx.data.count += 1)),
    );

  it('applies in every non-initial, non-final state', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'a' });
    await orchestrator.publish(Started, { n: 2 }, { correlationId: 'b' });
    await orchestrator.publish(Noticed, { note: 'hi' }, { correlationId: 'a' });
    await orchestrator.publish(Noticed, { note: 'hi' }, { correlationId: 'b' });
    expect((await orchestrator.find(Saga, 'a'))?.data.log).toEqual(['any in A: hi']);
    expect((await orchestrator.find(Saga, 'b'))?.data.log).toEqual(['any in B: hi']);
  });

  it('does not apply before an instance exists', async () => {
    const { orchestrator } = start(Saga);
    await expect(orchestrator.publish(Poked, {}, { correlationId: 'nobody' })).rejects.toBeInstanceOf(InstanceNotFoundError);
  });

  it('does not apply in a final state', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'a' });
    await orchestrator.publish(Finished, {}, { correlationId: 'a' });
    const error = await rejection(orchestrator.publish(Poked, {}, { correlationId: 'a' }));
    expect(error).toBeInstanceOf(UnhandledEventError);
    expect(error).toMatchObject({ state: 'Done', messageType: 'Poked' });
  });

  it("is overridden by a state's own handler for the same event", async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, { n: 3 }, { correlationId: 'l' });
    await orchestrator.publish(Noticed, { note: 'hi' }, { correlationId: 'l' });
    await orchestrator.publish(Poked, {}, { correlationId: 'l' });
    expect(await orchestrator.find(Saga, 'l')).toMatchObject({ state: 'Locked', data: { log: ['locked: hi'], count: 1 } });
  });

  it("comes after a state's own guarded handler when that guard does not hold", async () => {
    const Guarded = defineSaga('any-guarded', { data: Counter, states: ['A'] })
      .initially((s) => s.when(Started).transitionTo('A'))
      .during('A', (s) => s.when(Noticed, (ctx) => ctx.event.note === 'mine').then((ctx) => void ctx.data.log.push('own')))
      .duringAny((s) => s.when(Noticed).then((ctx) => void ctx.data.log.push('any')));
    const { orchestrator } = start(Guarded);
    await orchestrator.publish(Started, {}, { correlationId: 'g' });
    await orchestrator.publish(Noticed, { note: 'mine' }, { correlationId: 'g' });
    await orchestrator.publish(Noticed, { note: 'other' }, { correlationId: 'g' });
    expect((await orchestrator.find(Guarded, 'g'))?.data.log).toEqual(['own', 'any']);
  });
});

// --- when with a guard -----------------------------------------------------------------------------------
describe('when with a guard', () => {
  const seenByGuard: unknown[] = [];
  const Saga = defineSaga('guards', { data: Counter, states: ['Open', 'Big', 'Small', 'Medium'] })
    .initially((s) => s.when(Started).then((ctx) => void (ctx.data.count = ctx.event.n)).transitionTo('Open'))
    .during('Open', (s) =>
      s
        .when(Poked, (ctx) => {
          seenByGuard.push({ event: ctx.event, data: ctx.data, state: ctx.instance.state, version: ctx.instance.version });
          return ctx.event.n > 100;
        })
        .transitionTo('Big')
        // Also true for n > 100, but the first matching guard wins.
        .when(Poked, (ctx) => ctx.event.n > 10)
        .transitionTo('Medium')
        .when(Poked, (ctx) => ctx.event.n > 0 && ctx.data.count > 0)
        .transitionTo('Small'),
    );

  it('runs the first handler whose guard holds', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'big' });
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'medium' });
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'small' });
    await orchestrator.publish(Poked, { n: 500 }, { correlationId: 'big' });
    await orchestrator.publish(Poked, { n: 50 }, { correlationId: 'medium' });
    await orchestrator.publish(Poked, { n: 5 }, { correlationId: 'small' });
    expect((await orchestrator.find(Saga, 'big'))?.state).toBe('Big');
    expect((await orchestrator.find(Saga, 'medium'))?.state).toBe('Medium');
    expect((await orchestrator.find(Saga, 'small'))?.state).toBe('Small');
  });

  it('gives the guard the parsed payload, the instance data and the instance', async () => {
    seenByGuard.length = 0;
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, { n: 3 }, { correlationId: 'g' });
    await orchestrator.publish(Poked, {}, { correlationId: 'g' }).catch(() => {});
    expect(seenByGuard).toEqual([{ event: { n: 0 }, data: { count: 3, log: [] }, state: 'Open', version: 1 }]);
  });

  it('treats an event no guard accepts as unhandled, writing nothing', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, { n: 0 }, { correlationId: 'none' });
    const error = await rejection(orchestrator.publish(Poked, { n: 1 }, { correlationId: 'none' }));
    expect(error).toBeInstanceOf(UnhandledEventError);
    expect(error).toMatchObject({ code: 'SAGA_EVENT_UNHANDLED', state: 'Open', messageType: 'Poked' });
    expect(await orchestrator.find(Saga, 'none')).toMatchObject({ state: 'Open', version: 1 });
  });

  it("applies the unhandled policy 'ignore' when no guard accepts the event", async () => {
    const Lenient = defineSaga('guards-lenient', { data: Counter, states: ['Open', 'Big'], unhandledEvent: 'ignore' })
      .initially((s) => s.when(Started).transitionTo('Open'))
      .during('Open', (s) => s.when(Poked, (ctx) => ctx.event.n > 100).transitionTo('Big'));
    const { orchestrator } = start(Lenient);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    const result = await orchestrator.publish(Poked, { n: 1 }, { correlationId: 'x' });
    expect(result.outcomes[0]).toEqual({ saga: 'guards-lenient', correlationId: 'x', result: 'ignored', reason: 'unhandled', state: 'Open' });
    expect(await orchestrator.find(Lenient, 'x')).toMatchObject({ state: 'Open', version: 1 });
  });

  it('reports a guard that throws as an ActionError and writes nothing', async () => {
    const boom = new Error('guard broke');
    const Throwing = defineSaga('guard-throws', { data: Counter, states: ['Open'] })
      .initially((s) => s.when(Started).transitionTo('Open'))
      .during('Open', (s) =>
        s.when(Poked, () => {
          throw boom;
        }),
      );
    const { orchestrator } = start(Throwing);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    const error = await rejection(orchestrator.publish(Poked, {}, { correlationId: 'x' }));
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).cause).toBe(boom);
    expect((await orchestrator.find(Throwing, 'x'))?.version).toBe(1);
  });
});

// --- then ------------------------------------------------------------------------------------------------
describe('then', () => {
  it('persists the changes that sync and async actions make to ctx.data', async () => {
    const Saga = defineSaga('then-persist', { data: Counter, states: ['A'] })
      .initially((s) =>
        s
          .when(Started)
          .then((ctx) => {
            ctx.data.count = 1;
          })
          .then(async (ctx) => {
            await new Promise((r) => setTimeout(r, 1));
            ctx.data.count *= 10;
            ctx.data.log.push('async');
          })
          .transitionTo('A'),
      )
      .during('A', (s) => s.when(Poked).then((ctx) => void (ctx.data.count += ctx.event.n)));
    const { orchestrator, repository } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, { n: 5 }, { correlationId: 'x' });
    const stored = await repository.findByCorrelation('then-persist', 'x');
    expect(stored).toMatchObject({ version: 2, data: { count: 15, log: ['async'] } });
  });

  it('runs actions in order, each seeing what the previous one did, waiting for async ones', async () => {
    const order: string[] = [];
    const Saga = defineSaga('then-order', { data: Counter, states: ['A'] }).initially((s) =>
      s
        .when(Started)
        .then((ctx) => {
          order.push('sync 1');
          ctx.data.log.push('1');
        })
        .then(async (ctx) => {
          await new Promise((r) => setTimeout(r, 5));
          order.push(`async 2 after ${ctx.data.log.join(',')}`);
          ctx.data.log.push('2');
        })
        .then((ctx) => {
          order.push(`sync 3 after ${ctx.data.log.join(',')}`);
        })
        .transitionTo('A'),
    );
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    expect(order).toEqual(['sync 1', 'async 2 after 1', 'sync 3 after 1,2']);
  });

  it('gives actions the instance: isNew and version 0 on creation, the stored version afterwards', async () => {
    const seen: Array<{ isNew: boolean; version: number; state: string; correlationId: string }> = [];
    const record = (ctx: { instance: { isNew: boolean; version: number; state: string; correlationId: string } }) => {
      const { isNew, version, state, correlationId } = ctx.instance;
      seen.push({ isNew, version, state, correlationId });
    };
    const Saga = defineSaga('then-instance', { data: Counter, states: ['A'] })
      .initially((s) => s.when(Started).then(record).transitionTo('A'))
      .during('A', (s) => s.when(Poked).then(record));
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, {}, { correlationId: 'x' });
    expect(seen).toEqual([
      { isNew: true, version: 0, state: 'Initial', correlationId: 'x' },
      { isNew: false, version: 1, state: 'A', correlationId: 'x' },
    ]);
  });

  it('rejects data an action left invalid, writing nothing', async () => {
    const Saga = defineSaga('then-invalid', { data: Counter, states: ['A'] })
      .initially((s) => s.when(Started).transitionTo('A'))
      .during('A', (s) =>
        s.when(Poked).then((ctx) => {
          (ctx.data as { count: unknown }).count = 'many';
        }),
      );
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await expect(orchestrator.publish(Poked, {}, { correlationId: 'x' })).rejects.toBeInstanceOf(InstanceDataError);
    expect(await orchestrator.find(Saga, 'x')).toMatchObject({ version: 1, data: { count: 0 } });
  });
});

// --- transitionTo ------------------------------------------------------------------------------------------
describe('transitionTo', () => {
  const Saga = defineSaga('transition', { data: Counter, states: ['A', 'C'] })
    .initially((s) => s.when(Started).transitionTo('A'))
    .during('A', (s) => s.when(Poked).transitionTo('A').then((ctx) => void ctx.data.log.push('after')).transitionTo('C'))
    .during('C', (s) => s.when(Poked).then((ctx) => void (ctx.data.count += 1)).when(Finished).transitionTo('A'));

  it('moves the instance when the event commits, the last transitionTo of the chain winning', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    const outcome = applied((await orchestrator.publish(Poked, {}, { correlationId: 'x' })).outcomes[0]);
    expect(outcome).toMatchObject({ stateBefore: 'A', state: 'C', version: 2 });
    expect(await orchestrator.find(Saga, 'x')).toMatchObject({ state: 'C', data: { log: ['after'] } });
  });

  it('leaves the instance in its state when the chain has no transitionTo', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, {}, { correlationId: 'x' });
    const outcome = applied((await orchestrator.publish(Poked, {}, { correlationId: 'x' })).outcomes[0]);
    expect(outcome).toMatchObject({ stateBefore: 'C', state: 'C', version: 3 });
  });

  it('records each transition in the history', async () => {
    const { orchestrator, repository } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, {}, { correlationId: 'x' });
    await orchestrator.publish(Finished, {}, { correlationId: 'x' });
    const instance = await repository.findByCorrelation('transition', 'x');
    const history = await repository.history(instance!.id);
    expect(history.map((h) => [h.sequence, h.eventType, h.stateBefore, h.stateAfter])).toEqual([
      [1, 'Started', null, 'A'],
      [2, 'Poked', 'A', 'C'],
      [3, 'Finished', 'C', 'A'],
    ]);
  });
});

// --- finalize ----------------------------------------------------------------------------------------------
describe('finalize', () => {
  const Saga = defineSaga('finalize', { data: Counter, states: ['A', 'Done'] })
    .initially((s) => s.when(Started).transitionTo('A'))
    .during('A', (s) =>
      s
        .when(Finished)
        .transitionTo('Done')
        .finalize()
        // finalize alone: the instance enters the reserved state 'Final'.
        .when(Poked)
        .then((ctx) => void (ctx.data.count = ctx.event.n))
        .finalize(),
    );

  it("completes the instance: status 'completed' and completedAt set to the clock's time", async () => {
    const clock = new FakeClock(new Date('2025-03-01T12:00:00Z'));
    const { orchestrator } = start(Saga, { clock });
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    expect((await orchestrator.find(Saga, 'x'))?.completedAt).toBeNull();
    clock.advance(60_000);
    const outcome = applied((await orchestrator.publish(Finished, {}, { correlationId: 'x' })).outcomes[0]);
    expect(outcome).toMatchObject({ state: 'Done', status: SagaStatus.Completed });
    const found = await orchestrator.find(Saga, 'x');
    expect(found).toMatchObject({ state: 'Done', status: 'completed', version: 2 });
    expect(found?.completedAt).toEqual(new Date('2025-03-01T12:01:00Z'));
  });

  it("without a transitionTo enters the state 'Final'", async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, { n: 4 }, { correlationId: 'x' });
    expect(await orchestrator.find(Saga, 'x')).toMatchObject({ state: 'Final', status: 'completed', data: { count: 4 } });
    expect(Saga.compiled.states).toContain('Final');
  });

  it('leaves a completed instance unable to take further events', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Finished, {}, { correlationId: 'x' });
    await expect(orchestrator.publish(Finished, {}, { correlationId: 'x' })).rejects.toBeInstanceOf(UnhandledEventError);
    expect((await orchestrator.find(Saga, 'x'))?.version).toBe(2);
  });

  it('with removeOnCompletion deletes the instance and its history', async () => {
    const Removed = defineSaga('finalize-remove', { data: Counter, states: ['A', 'Done'], removeOnCompletion: true })
      .initially((s) => s.when(Started).transitionTo('A'))
      .during('A', (s) => s.when(Finished).transitionTo('Done').finalize());
    const { orchestrator, repository } = start(Removed);
    const created = applied((await orchestrator.publish(Started, {}, { correlationId: 'x' })).outcomes[0]);
    const outcome = applied((await orchestrator.publish(Finished, {}, { correlationId: 'x' })).outcomes[0]);
    expect(outcome).toMatchObject({ state: 'Done', status: 'completed', version: 0 });
    expect(await orchestrator.find(Removed, 'x')).toBeNull();
    expect(await repository.findById(created.instanceId)).toBeNull();
    expect(await repository.history(created.instanceId)).toEqual([]);
  });

  it('with removeOnCompletion writes nothing for an instance created and completed by one event', async () => {
    const OneShot = defineSaga('finalize-oneshot', { data: Counter, states: [], removeOnCompletion: true }).initially((s) =>
      s.when(Started).finalize(),
    );
    const { orchestrator, repository } = start(OneShot);
    const outcome = applied((await orchestrator.publish(Started, {}, { correlationId: 'x' })).outcomes[0]);
    expect(outcome).toMatchObject({ created: true, state: 'Final', status: 'completed' });
    expect(await orchestrator.find(OneShot, 'x')).toBeNull();
    expect((await repository.list({ sagaName: 'finalize-oneshot' })).items).toEqual([]);
  });
});

// --- ignore --------------------------------------------------------------------------------------------------
describe('ignore', () => {
  const Saga = defineSaga('ignore', { data: Counter, states: ['A'] })
    .initially((s) => s.when(Started).transitionTo('A'))
    .during('A', (s) =>
      s
        .ignore(Poked, (ctx) => ctx.event.n < 0)
        .when(Poked)
        .then((ctx) => void (ctx.data.count += 1))
        .ignore(Started),
    );

  it("writes nothing, keeps the version and reports the outcome 'ignored'", async () => {
    const clock = new FakeClock();
    const { orchestrator, repository } = start(Saga, { clock });
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    const before = await repository.findByCorrelation('ignore', 'x');
    clock.advance(1000);
    const result = await orchestrator.publish(Started, { n: 9 }, { correlationId: 'x' });
    expect(result.outcomes).toEqual([{ saga: 'ignore', correlationId: 'x', result: 'ignored', reason: 'ignored', state: 'A' }]);
    expect(await repository.findByCorrelation('ignore', 'x')).toEqual(before);
    expect(await repository.history(before!.id)).toHaveLength(1);
  });

  it('with a guard ignores only the events the guard accepts', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    const ignored = await orchestrator.publish(Poked, { n: -1 }, { correlationId: 'x' });
    expect(ignored.outcomes[0]).toMatchObject({ result: 'ignored', reason: 'ignored' });
    applied((await orchestrator.publish(Poked, { n: 1 }, { correlationId: 'x' })).outcomes[0]);
    expect(await orchestrator.find(Saga, 'x')).toMatchObject({ version: 2, data: { count: 1 } });
  });
});

// --- if / ifElse ---------------------------------------------------------------------------------------------
describe('if and ifElse', () => {
  const Saga = defineSaga('branches', { data: Counter, states: ['A', 'Low', 'Mid', 'High', 'Top'] })
    .initially((s) => s.when(Started).transitionTo('A'))
    .during('A', (s) =>
      s
        .when(Poked)
        .then((ctx) => void ctx.data.log.push('before'))
        .ifElse(
          (ctx) => ctx.event.n >= 10,
          (b) =>
            b
              .then((ctx) => void ctx.data.log.push('big'))
              // nested
              .ifElse(
                (ctx) => ctx.event.n >= 100,
                (bb) => bb.transitionTo('Top'),
                (bb) => bb.transitionTo('High'),
              ),
          (b) =>
            b.then((ctx) => void ctx.data.log.push('small')).if(
              (ctx) => ctx.event.n >= 5,
              (bb) => bb.transitionTo('Mid'),
            ),
        )
        .then((ctx) => void ctx.data.log.push('after'))
        .when(Noticed)
        .if(
          (ctx) => ctx.event.note === 'low',
          (b) => b.transitionTo('Low'),
        ),
    )
    .during('Low', 'Mid', 'High', 'Top', (s) => s.ignore(Poked));

  it.each([
    [200, 'Top', ['before', 'big', 'after']],
    [50, 'High', ['before', 'big', 'after']],
    [7, 'Mid', ['before', 'small', 'after']],
    [1, 'A', ['before', 'small', 'after']],
  ])('ifElse with n=%i takes the matching (nested) branch: state %s', async (n, state, log) => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, { n }, { correlationId: 'x' });
    expect(await orchestrator.find(Saga, 'x')).toMatchObject({ state, data: { log } });
  });

  it('if runs its branch only when the condition holds', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'yes' });
    await orchestrator.publish(Started, {}, { correlationId: 'no' });
    await orchestrator.publish(Noticed, { note: 'low' }, { correlationId: 'yes' });
    await orchestrator.publish(Noticed, { note: 'high' }, { correlationId: 'no' });
    expect((await orchestrator.find(Saga, 'yes'))?.state).toBe('Low');
    expect(await orchestrator.find(Saga, 'no')).toMatchObject({ state: 'A', version: 2 });
  });

  it('evaluates a condition where it stands, after the actions before it', async () => {
    const Ordered = defineSaga('branches-order', { data: Counter, states: ['A', 'B'] })
      .initially((s) => s.when(Started).transitionTo('A'))
      .during('A', (s) =>
        s
          .when(Poked)
          .then((ctx) => void (ctx.data.count = 10))
          .if(
            (ctx) => ctx.data.count === 10,
            (b) => b.transitionTo('B'),
          ),
      );
    const { orchestrator } = start(Ordered);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, {}, { correlationId: 'x' });
    expect((await orchestrator.find(Ordered, 'x'))?.state).toBe('B');
  });
});

// --- catch ---------------------------------------------------------------------------------------------------
class Declined extends Error {
  override name = 'Declined';
  constructor(readonly code: string) {
    super(`declined: ${code}`);
  }
}
class HardDeclined extends Declined {}
class Outage extends Error {}

describe('catch', () => {
  const after: string[] = [];
  const Saga = defineSaga('catch', { data: Counter, states: ['A', 'Paid', 'Retry', 'Broken'] })
    .initially((s) => s.when(Started).transitionTo('A'))
    .during('A', (s) =>
      s
        .when(Poked)
        .then((ctx) => {
          ctx.data.count += 1;
          if (ctx.event.n === 1) throw new Declined('insufficient funds');
          if (ctx.event.n === 2) throw new HardDeclined('stolen card');
          if (ctx.event.n === 3) throw new Outage('gateway down');
        })
        .then(() => void after.push('ran'))
        .transitionTo('Paid')
        .catch(Declined, (b) =>
          b
            .then((ctx) => {
              ctx.data.log.push(`${ctx.error.name}: ${ctx.error.code}`);
            })
            .transitionTo('Retry'),
        )
        .when(Noticed)
        .then(async () => {
          await new Promise((r) => setTimeout(r, 1));
          throw new Outage('async outage');
        })
        .catch(Declined, (b) => b.transitionTo('Retry'))
        .catch(Outage, (b) => b.then((ctx) => void ctx.data.log.push(`outage: ${ctx.error.message}`)).transitionTo('Broken'))
        .when(Finished)
        .then(() => {
          throw new Declined('x');
        })
        .catch(Declined, (b) =>
          b.then(() => {
            throw new Outage('the catch chain itself failed');
          }),
        ),
    );

  it("runs the matching catch chain and commits with the catch's transition, skipping the rest of the chain", async () => {
    after.length = 0;
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    const outcome = applied((await orchestrator.publish(Poked, { n: 1 }, { correlationId: 'x' })).outcomes[0]);
    expect(outcome).toMatchObject({ stateBefore: 'A', state: 'Retry', version: 2 });
    expect(await orchestrator.find(Saga, 'x')).toMatchObject({
      state: 'Retry',
      data: { count: 1, log: ['Declined: insufficient funds'] },
    });
    expect(after).toEqual([]);
  });

  it('matches subclasses of the caught error class, and ctx.error is the thrown error', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, { n: 2 }, { correlationId: 'x' });
    expect(await orchestrator.find(Saga, 'x')).toMatchObject({ state: 'Retry', data: { log: ['Declined: stolen card'] } });
  });

  it('does nothing when no activity throws', async () => {
    after.length = 0;
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, { n: 0 }, { correlationId: 'x' });
    expect(await orchestrator.find(Saga, 'x')).toMatchObject({ state: 'Paid', data: { count: 1, log: [] } });
    expect(after).toEqual(['ran']);
  });

  it('propagates an error of another class as ActionError with the original as cause, persisting nothing', async () => {
    const { orchestrator, repository } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    const before = await repository.findByCorrelation('catch', 'x');
    const error = await rejection(orchestrator.publish(Poked, { n: 3 }, { correlationId: 'x' }));
    expect(error).toBeInstanceOf(ActionError);
    expect(error).toMatchObject({ code: 'SAGA_ACTION_FAILED', state: 'A', messageType: 'Poked', sagaName: 'catch', correlationId: 'x' });
    expect((error as ActionError).cause).toBeInstanceOf(Outage);
    expect(((error as ActionError).cause as Error).message).toBe('gateway down');
    expect(await repository.findByCorrelation('catch', 'x')).toEqual(before);
    expect(await repository.history(before!.id)).toHaveLength(1);
  });

  it('handles a rejected async action with the first catch whose class matches', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Noticed, { note: '' }, { correlationId: 'x' });
    expect(await orchestrator.find(Saga, 'x')).toMatchObject({ state: 'Broken', data: { log: ['outage: async outage'] } });
  });

  it('propagates an error thrown inside the catch chain, persisting nothing', async () => {
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    const error = await rejection(orchestrator.publish(Finished, {}, { correlationId: 'x' }));
    expect(error).toBeInstanceOf(ActionError);
    expect(((error as ActionError).cause as Error).message).toBe('the catch chain itself failed');
    expect((await orchestrator.find(Saga, 'x'))?.version).toBe(1);
  });

  it('creates no instance when an initially() action fails uncaught', async () => {
    const Failing = defineSaga('catch-initial', { data: Counter, states: ['A'] }).initially((s) =>
      s
        .when(Started)
        .then(() => {
          throw new Outage('nope');
        })
        .catch(Declined, (b) => b.transitionTo('A'))
        .transitionTo('A'),
    );
    const { orchestrator, repository } = start(Failing);
    await expect(orchestrator.publish(Started, {}, { correlationId: 'x' })).rejects.toBeInstanceOf(ActionError);
    expect((await repository.list({ sagaName: 'catch-initial' })).items).toEqual([]);
  });

  it('skips the activities between the throw and the catch, keeping a transitionTo made before the throw', async () => {
    const Late = defineSaga('catch-late', { data: Counter, states: ['Tentative', 'Confirmed'] })
      // Tentative is also reachable directly, so that this test does not depend on how reachability models catch paths.
      .initially((s) => s.when(Started, (ctx) => ctx.event.n === 5).transitionTo('Tentative').when(Started).transitionTo('Confirmed'))
      .during('Confirmed', (s) =>
        s
          .when(Poked)
          .transitionTo('Tentative')
          .then((ctx) => {
            if (ctx.event.n > 0) throw new Declined('late');
          })
          .then((ctx) => void ctx.data.log.push('skipped'))
          .transitionTo('Confirmed')
          .catch(Declined, (b) => b.then((ctx) => void ctx.data.log.push('caught'))),
      )
      .during('Tentative', (s) => s.when(Finished).transitionTo('Confirmed'));
    const { orchestrator } = start(Late);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, { n: 1 }, { correlationId: 'x' });
    expect(await orchestrator.find(Late, 'x')).toMatchObject({ state: 'Tentative', data: { log: ['caught'] } });
  });

  it('catches an error thrown inside an if branch', async () => {
    const Nested = defineSaga('catch-nested', { data: Counter, states: ['A', 'Retry'] })
      .initially((s) => s.when(Started).transitionTo('A'))
      .during('A', (s) =>
        s
          .when(Poked)
          .if(
            (ctx) => ctx.event.n > 0,
            (b) =>
              b.then(() => {
                throw new Declined('in branch');
              }),
          )
          .catch(Declined, (b) => b.transitionTo('Retry')),
      );
    const { orchestrator } = start(Nested);
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await orchestrator.publish(Poked, { n: 1 }, { correlationId: 'x' });
    expect((await orchestrator.find(Nested, 'x'))?.state).toBe('Retry');
  });
});

// --- publish / send ------------------------------------------------------------------------------------------
describe('publish and send', () => {
  const Charge = defineEvent('Charge', z.object({ amount: z.number(), currency: z.string().default('EUR') }));

  function messagingSaga() {
    return defineSaga('messaging', { data: Counter, states: ['A'] })
      .initially((s) =>
        s
          .when(Started)
          .then((ctx) => void (ctx.data.count = ctx.event.n))
          .publish(Charge, (ctx) => ({ amount: ctx.data.count }))
          .send(DoWork, { job: 'static' })
          .then((ctx) => {
            ctx.publish(Noticed, { note: 'from ctx' });
            ctx.send(DoWork, { job: 'from ctx', priority: 5 }, { correlationId: 'elsewhere', headers: { tenant: 't1' } });
          })
          .transitionTo('A'),
      )
      .during('A', (s) =>
        s
          .when(Poked)
          .then((ctx) => ctx.publish(Noticed, { note: 'doomed' }))
          .publish(Charge, { amount: 1 })
          .then(() => {
            throw new Outage('after publishing');
          })
          .when(Finished)
          .publish(Charge, { amount: 2 })
          .then((ctx) => {
            (ctx.data as { count: unknown }).count = 'invalid';
          }),
      );
  }

  function listen(orchestrator: SagaOrchestrator, types: string[]) {
    const seen: Envelope[] = [];
    const stateAtDelivery: Array<string | undefined> = [];
    for (const type of types) {
      orchestrator.bus.subscribe(type, async (envelope) => {
        seen.push(envelope);
        stateAtDelivery.push((await orchestrator.repository.findByCorrelation('messaging', 'x'))?.state);
      });
    }
    return { seen, stateAtDelivery };
  }

  it('delivers envelopes from the verbs and from ctx with correlation and causation ids, in order', async () => {
    const { orchestrator } = start(messagingSaga());
    const { seen } = listen(orchestrator, ['Charge', 'DoWork', 'Noticed']);
    const result = await orchestrator.publish(Started, { n: 12 }, { correlationId: 'x' });
    await (orchestrator.bus as InProcessBus).idle();
    expect(seen.map((e) => [e.kind, e.type, e.payload, e.correlationId])).toEqual([
      ['event', 'Charge', { amount: 12, currency: 'EUR' }, 'x'],
      ['command', 'DoWork', { job: 'static', priority: 1 }, 'x'],
      ['event', 'Noticed', { note: 'from ctx' }, 'x'],
      ['command', 'DoWork', { job: 'from ctx', priority: 5 }, 'elsewhere'],
    ]);
    for (const e of seen) expect(e.headers.causationId).toBe(result.messageId);
    expect(seen[3]?.headers.tenant).toBe('t1');
    expect(new Set(seen.map((e) => e.messageId)).size).toBe(4);
  });

  it('delivers only after the write has committed', async () => {
    const { orchestrator } = start(messagingSaga());
    const { seen, stateAtDelivery } = listen(orchestrator, ['Charge', 'DoWork', 'Noticed']);
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'x' });
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toHaveLength(4);
    expect(stateAtDelivery).toEqual(['A', 'A', 'A', 'A']);
  });

  it('delivers nothing when an action throws after messages were queued', async () => {
    const { orchestrator } = start(messagingSaga());
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'x' });
    const { seen } = listen(orchestrator, ['Charge', 'DoWork', 'Noticed']);
    await expect(orchestrator.publish(Poked, {}, { correlationId: 'x' })).rejects.toBeInstanceOf(ActionError);
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual([]);
  });

  it('delivers nothing when the write is refused', async () => {
    const { orchestrator } = start(messagingSaga());
    await orchestrator.publish(Started, { n: 1 }, { correlationId: 'x' });
    const { seen } = listen(orchestrator, ['Charge', 'DoWork', 'Noticed']);
    await expect(orchestrator.publish(Finished, {}, { correlationId: 'x' })).rejects.toBeInstanceOf(InstanceDataError);
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual([]);
  });

  it('lets another saga react to a published event', async () => {
    const Audit = defineSaga('audit', { data: z.object({ amounts: z.array(z.number()).default([]) }), states: ['Open'] })
      .initially((s) => s.when(Charge).then((ctx) => void ctx.data.amounts.push(ctx.event.amount)).transitionTo('Open'))
      .during('Open', (s) => s.when(Charge).then((ctx) => void ctx.data.amounts.push(ctx.event.amount)));
    const orchestrator = new SagaOrchestrator({ sagas: [messagingSaga(), Audit], unknownEvent: 'ignore' });
    await orchestrator.publish(Started, { n: 3 }, { correlationId: 'x' });
    await (orchestrator.bus as InProcessBus).idle();
    expect((await orchestrator.find(Audit, 'x'))?.data.amounts).toEqual([3]);
  });
});

// --- correlation ---------------------------------------------------------------------------------------------
describe('correlation', () => {
  it("finds the instance by the envelope's correlation id by default", async () => {
    const Saga = defineSaga('corr-envelope', { data: Counter, states: ['A'] })
      .initially((s) => s.when(Started).transitionTo('A'))
      .during('A', (s) => s.when(Poked).then((ctx) => void (ctx.data.count += 1)));
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, {}, { correlationId: 'one' });
    await orchestrator.publish(Started, {}, { correlationId: 'two' });
    await orchestrator.publish(Poked, {}, { correlationId: 'two' });
    await orchestrator.publish(Poked, {}, { correlationId: 'two' });
    expect((await orchestrator.find(Saga, 'one'))?.data.count).toBe(0);
    expect((await orchestrator.find(Saga, 'two'))?.data.count).toBe(2);
    const error = await rejection(orchestrator.publish(Poked, {}));
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as Error).message).toMatch(/correlateBy/);
  });

  it('finds the instance by an expression over the payload when the event declares correlateBy', async () => {
    const Opened = defineEvent('Opened', z.object({ accountId: z.string() }));
    const Deposited = defineEvent('Deposited', z.object({ account: z.object({ id: z.string() }), amount: z.number() }));
    const seenEnvelopes: string[] = [];
    const Saga = defineSaga('corr-payload', { data: Counter, states: ['Open'] })
      .event(Opened, { correlateBy: (p) => p.accountId })
      .event(Deposited, {
        correlateBy: (p, envelope) => {
          seenEnvelopes.push(envelope.type);
          return p.account.id;
        },
      })
      .initially((s) => s.when(Opened).transitionTo('Open'))
      .during('Open', (s) =>
        s.when(Deposited).then((ctx) => {
          ctx.data.count += ctx.event.amount;
          ctx.publish(Noticed, { note: 'deposit' });
        }),
      );
    const { orchestrator } = start(Saga);
    const notices: Envelope[] = [];
    orchestrator.bus.subscribe('Noticed', (e) => void notices.push(e));
    // The envelope's own correlation id is ignored for events with correlateBy.
    await orchestrator.publish(Opened, { accountId: 'acc-1' }, { correlationId: 'unrelated' });
    await orchestrator.publish(Deposited, { account: { id: 'acc-1' }, amount: 5 });
    await orchestrator.publish(Deposited, { account: { id: 'acc-1' }, amount: 7 }, { correlationId: 'unrelated' });
    expect(await orchestrator.find(Saga, 'acc-1')).toMatchObject({ correlationId: 'acc-1', data: { count: 12 } });
    expect(await orchestrator.find(Saga, 'unrelated')).toBeNull();
    expect(seenEnvelopes).toEqual(['Deposited', 'Deposited']);
    expect(notices.map((n) => n.correlationId)).toEqual(['acc-1', 'acc-1']);
  });

  it("with correlation 'explicit' routes every event through its correlateBy", async () => {
    const Saga = defineSaga('corr-explicit', { data: Counter, states: ['A'], correlation: 'explicit' })
      .event(Started, { correlateBy: (p) => `s-${p.n}` })
      .event(Poked, { correlateBy: (p) => `s-${p.n}` })
      .initially((s) => s.when(Started).transitionTo('A'))
      .during('A', (s) => s.when(Poked).then((ctx) => void (ctx.data.count += 1)));
    const { orchestrator } = start(Saga);
    await orchestrator.publish(Started, { n: 4 });
    await orchestrator.publish(Poked, { n: 4 }, { correlationId: 'ignored' });
    expect(await orchestrator.find(Saga, 's-4')).toMatchObject({ data: { count: 1 }, version: 2 });
  });

  it('rejects an event whose correlateBy finds no id, writing nothing', async () => {
    const Saga = defineSaga('corr-empty', { data: Counter, states: ['A'] })
      .event(Started, { correlateBy: (p) => p.tag ?? '' })
      .initially((s) => s.when(Started).transitionTo('A'));
    const { orchestrator, repository } = start(Saga);
    await expect(orchestrator.publish(Started, {}, { correlationId: 'x' })).rejects.toBeInstanceOf(EnvelopeError);
    expect((await repository.list({ sagaName: 'corr-empty' })).items).toEqual([]);
  });
});

// --- policies ------------------------------------------------------------------------------------------------
describe('policies', () => {
  function policySaga(options: { unhandledEvent?: 'ignore' | 'error'; missingInstance?: 'ignore' | 'error' }, perEvent = false) {
    let saga = defineSaga('policies', { data: Counter, states: ['A', 'B'], ...options })
      .initially((s) => s.when(Started).transitionTo('A'))
      .during('A', (s) => s.when(Finished).transitionTo('B'))
      .during('B', (s) => s.when(Poked).transitionTo('A').when(Noticed).transitionTo('A'));
    if (perEvent) {
      const flip = (p: 'ignore' | 'error' | undefined) => (p === 'ignore' ? 'error' : 'ignore');
      saga = saga
        .event(Poked, { unhandled: flip(options.unhandledEvent), missingInstance: flip(options.missingInstance) })
        .event(Finished, {});
    }
    return saga;
  }

  it('by default reject an event the state does not handle and one with no instance', async () => {
    const { orchestrator } = start(policySaga({}));
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await expect(orchestrator.publish(Poked, {}, { correlationId: 'x' })).rejects.toBeInstanceOf(UnhandledEventError);
    const missing = await rejection(orchestrator.publish(Poked, {}, { correlationId: 'nobody' }));
    expect(missing).toBeInstanceOf(InstanceNotFoundError);
    expect(missing).toMatchObject({ code: 'SAGA_INSTANCE_NOT_FOUND', sagaName: 'policies', correlationId: 'nobody', messageType: 'Poked' });
  });

  it("saga-level 'ignore' policies ignore such events, writing nothing", async () => {
    const { orchestrator, repository } = start(policySaga({ unhandledEvent: 'ignore', missingInstance: 'ignore' }));
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    expect((await orchestrator.publish(Poked, {}, { correlationId: 'x' })).outcomes[0]).toEqual({
      saga: 'policies',
      correlationId: 'x',
      result: 'ignored',
      reason: 'unhandled',
      state: 'A',
    });
    expect((await orchestrator.publish(Poked, {}, { correlationId: 'nobody' })).outcomes[0]).toEqual({
      saga: 'policies',
      correlationId: 'nobody',
      result: 'ignored',
      reason: 'missing-instance',
    });
    expect((await orchestrator.find(policySaga({}), 'x'))?.version).toBe(1);
    expect((await repository.list({ sagaName: 'policies' })).items).toHaveLength(1);
  });

  it("a per-event 'ignore' overrides the saga's 'error'", async () => {
    const { orchestrator } = start(policySaga({ unhandledEvent: 'error', missingInstance: 'error' }, true));
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    expect((await orchestrator.publish(Poked, {}, { correlationId: 'x' })).outcomes[0]).toMatchObject({ reason: 'unhandled' });
    expect((await orchestrator.publish(Poked, {}, { correlationId: 'nobody' })).outcomes[0]).toMatchObject({
      reason: 'missing-instance',
    });
    // Other events keep the saga's policy.
    await expect(orchestrator.publish(Noticed, { note: '' }, { correlationId: 'x' })).rejects.toBeInstanceOf(UnhandledEventError);
    await expect(orchestrator.publish(Finished, {}, { correlationId: 'nobody' })).rejects.toBeInstanceOf(InstanceNotFoundError);
  });

  it("a per-event 'error' overrides the saga's 'ignore'", async () => {
    const { orchestrator } = start(policySaga({ unhandledEvent: 'ignore', missingInstance: 'ignore' }, true));
    await orchestrator.publish(Started, {}, { correlationId: 'x' });
    await expect(orchestrator.publish(Poked, {}, { correlationId: 'x' })).rejects.toBeInstanceOf(UnhandledEventError);
    await expect(orchestrator.publish(Poked, {}, { correlationId: 'nobody' })).rejects.toBeInstanceOf(InstanceNotFoundError);
    expect((await orchestrator.publish(Noticed, { note: '' }, { correlationId: 'x' })).outcomes[0]).toMatchObject({
      result: 'ignored',
      reason: 'unhandled',
    });
    expect((await orchestrator.publish(Finished, {}, { correlationId: 'nobody' })).outcomes[0]).toMatchObject({
      result: 'ignored',
      reason: 'missing-instance',
    });
  });
});
