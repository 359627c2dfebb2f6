/**
 * Definition mistakes fail when the saga is defined (or, for whole-saga checks, when it is compiled:
 * `validate()`, `machine`, `toMermaid()`, or the orchestrator's constructor), with a DefinitionError
 * whose message names the saga, the state and the event.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineCommand,
  defineEvent,
  defineSaga,
  DefinitionError,
  SagaOrchestrator,
  type EventBinder,
} from '../../src/index.ts';

const Opened = defineEvent('Opened', z.object({ id: z.string() }));
const Approved = defineEvent('Approved', z.object({ ok: z.boolean() }));
const Closed = defineEvent('Closed', z.object({}));
const Notify = defineCommand('Notify', z.object({ text: z.string() }));
const Data = z.object({ count: z.number().default(0) });

class Oops extends Error {}

interface Where {
  readonly saga: string;
  readonly state?: string;
  readonly event?: string;
}

/** Runs `define` and checks that it throws a DefinitionError located at `where` and explaining `problem`. */
function expectDefinitionError(define: () => unknown, where: Where, problem: RegExp): DefinitionError {
  let thrown: unknown;
  try {
    define();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected a DefinitionError').toBeInstanceOf(DefinitionError);
  const error = thrown as DefinitionError;
  expect(error.code).toBe('SAGA_DEFINITION_INVALID');
  expect(error.message).toContain(`saga '${where.saga}'`);
  expect(error.saga).toBe(where.saga);
  if (where.state !== undefined) {
    expect(error.message).toContain(`state '${where.state}'`);
    expect(error.state).toBe(where.state);
  }
  if (where.event !== undefined) {
    expect(error.message).toContain(`event '${where.event}'`);
    expect(error.event).toBe(where.event);
  }
  expect(error.message).toMatch(problem);
  return error;
}

/** A valid starting point: Initial -> Open -> Done. */
function base<const States extends readonly string[]>(name: string, states: States) {
  return defineSaga(name, { data: Data, states });
}

describe('transitionTo', () => {
  it('to an undeclared state fails as the block is defined', () => {
    expectDefinitionError(
      () =>
        base('t-undeclared', ['Open'])
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .during('Open', (s) => s.when(Closed).transitionTo('Nowhere' as 'Open')),
      { saga: 't-undeclared', state: 'Open', event: 'Closed' },
      /transitionTo\('Nowhere'\): no such state/,
    );
  });

  it('to an undeclared state inside a branch fails too', () => {
    expectDefinitionError(
      () =>
        base('t-undeclared-branch', ['Open']).initially((s) =>
          s.when(Opened).ifElse(
            () => true,
            (b) => b.transitionTo('Open'),
            (b) => b.transitionTo('Elsewhere' as 'Open'),
          ),
        ),
      { saga: 't-undeclared-branch', state: 'Initial', event: 'Opened' },
      /no such state/,
    );
  });
});

describe('two unguarded handlers for one state and event', () => {
  it('in one block fail, naming the state and the event', () => {
    expectDefinitionError(
      () =>
        base('dup-one-block', ['Open', 'A', 'B'])
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .during('Open', (s) => s.when(Closed).transitionTo('A').when(Closed).transitionTo('B'))
          .validate(),
      { saga: 'dup-one-block', state: 'Open', event: 'Closed' },
      /two unguarded handlers/,
    );
  });

  it('across two during blocks fail', () => {
    expectDefinitionError(
      () =>
        base('dup-two-blocks', ['Open', 'Half', 'A', 'B'])
          .initially((s) => s.when(Opened).transitionTo('Open').when(Approved).transitionTo('Half'))
          .during('Open', 'Half', (s) => s.when(Closed).transitionTo('A'))
          .during('Half', (s) => s.when(Closed).transitionTo('B'))
          .validate(),
      { saga: 'dup-two-blocks', state: 'Half', event: 'Closed' },
      /two unguarded handlers/,
    );
  });

  it('in initially() fail', () => {
    expectDefinitionError(
      () =>
        base('dup-initially', ['A', 'B'])
          .initially((s) => s.when(Opened).transitionTo('A'))
          .initially((s) => s.when(Opened).transitionTo('B'))
          .validate(),
      { saga: 'dup-initially', state: 'Initial', event: 'Opened' },
      /two unguarded handlers/,
    );
  });

  it('in two duringAny handlers fail', () => {
    expectDefinitionError(
      () =>
        base('dup-any', ['Open'])
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .duringAny((s) => s.when(Closed).finalize())
          .duringAny((s) => s.when(Closed).then(() => {}))
          .validate(),
      { saga: 'dup-any', state: 'Open', event: 'Closed' },
      /two unguarded handlers/,
    );
  });

  it('are fine when the first one is guarded, or when a state overrides duringAny', () => {
    const saga = base('dup-ok', ['Open', 'A', 'B'])
      .initially((s) => s.when(Opened).transitionTo('Open'))
      .during('Open', (s) => s.when(Closed, (ctx) => ctx.data.count > 0).transitionTo('A').when(Closed).transitionTo('B'))
      .during('A', (s) => s.ignore(Approved))
      .duringAny((s) => s.when(Approved).then(() => {}));
    expect(() => saga.validate()).not.toThrow();
  });
});

describe('correlation', () => {
  it("'explicit' fails for a handled event without correlateBy, naming it", () => {
    expectDefinitionError(
      () =>
        defineSaga('explicit', { data: Data, states: ['Open'], correlation: 'explicit' })
          .event(Opened, { correlateBy: (p) => p.id })
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .during('Open', (s) => s.when(Closed).finalize())
          .validate(),
      { saga: 'explicit', state: 'Open', event: 'Closed' },
      /no way to correlate.*correlateBy/,
    );
  });

  it('correlateBy must be a function', () => {
    expectDefinitionError(
      () =>
        base('corr-not-fn', ['Open'])
          .event(Opened, { correlateBy: 'id' as never })
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .validate(),
      { saga: 'corr-not-fn', event: 'Opened' },
      /correlateBy must be a function/,
    );
  });
});

describe('states', () => {
  it('a declared state nothing can reach fails, naming it', () => {
    expectDefinitionError(
      () =>
        base('unreachable', ['Open', 'Orphan', 'Done'])
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .during('Open', (s) => s.when(Closed).transitionTo('Done').finalize())
          // Handlers do not make a state reachable; only transitions into it do.
          .during('Orphan', (s) => s.when(Closed).transitionTo('Done').finalize())
          .validate(),
      { saga: 'unreachable', state: 'Orphan' },
      /can never be reached/,
    );
  });

  it('a state reachable only from an unreachable state is unreachable too', () => {
    expectDefinitionError(
      () =>
        base('unreachable-chain', ['Open', 'Island', 'Beach'])
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .during('Island', (s) => s.when(Closed).transitionTo('Beach'))
          .during('Beach', (s) => s.when(Approved).transitionTo('Island'))
          .validate(),
      { saga: 'unreachable-chain' },
      /can never be reached/,
    );
  });

  it('a state the instance keeps when an error skips to a later catch() counts as reachable', () => {
    // On Oops the runtime skips transitionTo('Open') and stays in 'Tentative' (see tests/dsl/verbs.test.ts).
    const saga = base('reachable-by-catch', ['Tentative', 'Open']).initially((s) =>
      s
        .when(Opened)
        .transitionTo('Tentative')
        .then(() => {})
        .transitionTo('Open')
        .catch(Oops, (b) => b.then(() => {})),
    );
    expect(() => saga.validate()).not.toThrow();
  });

  it('during() of an undeclared state fails, naming it', () => {
    expectDefinitionError(
      () =>
        base('during-undeclared', ['Open'])
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .during('Nope' as 'Open', (s) => s.when(Closed).finalize()),
      { saga: 'during-undeclared', state: 'Nope' },
      /not declared/,
    );
  });

  it("during('Initial') fails: initially() is for that", () => {
    expectDefinitionError(
      () => base('during-initial', ['Open']).during('Initial' as 'Open', (s) => s.when(Opened).transitionTo('Open')),
      { saga: 'during-initial', state: 'Initial' },
      /initially\(\)/,
    );
  });

  it.each(['Initial', 'Final'])("declaring the reserved state '%s' fails", (reserved) => {
    expectDefinitionError(() => base('reserved', ['Open', reserved]), { saga: 'reserved', state: reserved }, /reserved/);
  });

  it('declaring a state twice fails', () => {
    expectDefinitionError(() => base('twice', ['Open', 'Open']), { saga: 'twice', state: 'Open' }, /declared twice/);
  });

  it('initially() missing fails: nothing could create an instance', () => {
    expectDefinitionError(
      () => base('no-initially', ['Open']).during('Open', (s) => s.when(Closed).finalize()).validate(),
      { saga: 'no-initially', state: 'Initial' },
      /no initially\(\) handlers/,
    );
  });
});

describe('finalize', () => {
  const verbs: Array<[string, (b: EventBinder<{ count: number }, { ok: boolean }, 'Open' | 'Done'>) => unknown]> = [
    ['then', (b) => (b as unknown as { then(f: () => void): unknown }).then(() => {})],
    ['transitionTo', (b) => (b as unknown as { transitionTo(s: string): unknown }).transitionTo('Done')],
    ['compensate', (b) => (b as unknown as { compensate(): unknown }).compensate()],
    ['publish', (b) => (b as unknown as { publish(m: unknown, p: unknown): unknown }).publish(Closed, {})],
    ['send', (b) => (b as unknown as { send(m: unknown, p: unknown): unknown }).send(Notify, { text: 'x' })],
    ['if', (b) => (b as unknown as { if(c: unknown, f: unknown): unknown }).if(() => true, (x: unknown) => x)],
    ['catch', (b) => (b as unknown as { catch(e: unknown, f: unknown): unknown }).catch(Oops, (x: unknown) => x)],
    ['finalize', (b) => (b as unknown as { finalize(): unknown }).finalize()],
  ];

  it.each(verbs)('%s() after finalize() fails as the block is defined', (verb, after) => {
    expectDefinitionError(
      () =>
        base('after-finalize', ['Open', 'Done'])
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .during('Open', (s) => after(s.when(Approved).transitionTo('Done').finalize() as never) as never),
      { saga: 'after-finalize', state: 'Open', event: 'Approved' },
      new RegExp(`${verb}\\(\\) after finalize\\(\\)`),
    );
  });

  it('an activity after finalize() inside a branch fails', () => {
    expectDefinitionError(
      () =>
        base('after-finalize-branch', ['Open']).initially((s) =>
          s.when(Opened).if(
            () => true,
            (b) => (b.finalize() as unknown as { then(f: () => void): never }).then(() => {}),
          ),
        ),
      { saga: 'after-finalize-branch', state: 'Initial', event: 'Opened' },
      /after finalize\(\)/,
    );
  });

  it('an activity after a branch that finalized fails (finalize() must end every path it is on)', () => {
    expectDefinitionError(
      () =>
        base('after-finalizing-branch', ['Open'])
          .initially((s) =>
            s
              .when(Opened)
              .ifElse(
                (ctx) => ctx.event.id === 'x',
                (b) => b.finalize(),
                (b) => b.transitionTo('Open'),
              )
              .then(() => {}),
          )
          .validate(),
      { saga: 'after-finalizing-branch', state: 'Initial', event: 'Opened' },
      /after finalize\(\)/,
    );
  });

  it('a transitionTo after an if() whose branch finalized fails, instead of making its target final', () => {
    expectDefinitionError(
      () =>
        base('transition-after-finalizing-branch', ['Open', 'Next'])
          .initially((s) =>
            s
              .when(Opened)
              .if(
                (ctx) => ctx.event.id === 'x',
                (b) => b.finalize(),
              )
              .transitionTo('Open'),
          )
          .during('Open', (s) => s.when(Approved).transitionTo('Next'))
          .validate(),
      { saga: 'transition-after-finalizing-branch', state: 'Initial', event: 'Opened' },
      /after finalize\(\)/,
    );
  });

  it("transitionTo('Final') without finalize() either fails at definition or completes the instance", async () => {
    const define = () =>
      base('to-final', ['Open'])
        .initially((s) => s.when(Opened).transitionTo('Open'))
        // @ts-expect-error 'Final' is not a declared state: it is entered with finalize()
        .during('Open', (s) => s.when(Closed).transitionTo('Final'))
        .validate();
    let saga: ReturnType<typeof define>;
    try {
      saga = define();
    } catch {
      expectDefinitionError(define, { saga: 'to-final', state: 'Open', event: 'Closed' }, /finalize\(\)/);
      return;
    }
    // Accepted: then it must mean what finalize() means, for the machine and for the runtime alike.
    expect(() => saga.machine).not.toThrow();
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    await orchestrator.publish(Opened, { id: 'x' }, { correlationId: 'x' });
    await orchestrator.publish(Closed, {}, { correlationId: 'x' });
    expect(await orchestrator.find(saga, 'x')).toMatchObject({ state: 'Final', status: 'completed' });
  });

  it('handling an event in a final state fails, naming state and event', () => {
    expectDefinitionError(
      () =>
        base('final-handles', ['Open', 'Done'])
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .during('Open', (s) => s.when(Closed).transitionTo('Done').finalize())
          .during('Done', (s) => s.when(Approved).then(() => {}))
          .validate(),
      { saga: 'final-handles', state: 'Done', event: 'Approved' },
      /final state cannot handle events/,
    );
  });

  it('ignoring an event in a final state is allowed', () => {
    const saga = base('final-ignores', ['Open', 'Done'])
      .initially((s) => s.when(Opened).transitionTo('Open'))
      .during('Open', (s) => s.when(Closed).transitionTo('Done').finalize())
      .during('Done', (s) => s.ignore(Closed));
    expect(saga.compiled.finalStates.has('Done')).toBe(true);
  });
});

describe('other chain mistakes', () => {
  it('.event() for an event no state handles fails, naming it', () => {
    expectDefinitionError(
      () =>
        base('event-unhandled', ['Open'])
          .event(Closed, { missingInstance: 'ignore' })
          .initially((s) => s.when(Opened).transitionTo('Open'))
          .validate(),
      { saga: 'event-unhandled', event: 'Closed' },
      /no state handles/,
    );
  });

  it('then() after ignore() fails', () => {
    expectDefinitionError(
      () =>
        base('after-ignore', ['Open']).initially((s) =>
          (s.ignore(Closed) as unknown as { then(f: () => void): never }).then(() => {}),
        ),
      { saga: 'after-ignore', state: 'Initial', event: 'Closed' },
      /cannot follow ignore\(\)/,
    );
  });

  it('catch() with nothing before it fails', () => {
    expectDefinitionError(
      () => base('catch-first', ['Open']).initially((s) => s.when(Opened).catch(Oops, (b) => b.transitionTo('Open'))),
      { saga: 'catch-first', state: 'Initial', event: 'Opened' },
      /catch\(\) must follow/,
    );
  });

  it('a guard that is not a function fails', () => {
    expectDefinitionError(
      () => base('guard-not-fn', ['Open']).initially((s) => s.when(Opened, true as never).transitionTo('Open')),
      { saga: 'guard-not-fn', state: 'Initial' },
      /guard must be a function/,
    );
  });
});

describe('block callbacks', () => {
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('a block callback that returns nothing fails', () => {
    expectDefinitionError(
      () =>
        base('returns-nothing', ['Open']).initially(((s: { when(e: unknown): { transitionTo(x: string): unknown } }) => {
          s.when(Opened).transitionTo('Open');
        }) as never),
      { saga: 'returns-nothing', state: 'Initial' },
      /must return the binder/,
    );
  });

  it('an async block callback fails synchronously and leaves no unhandled rejection behind', async () => {
    expectDefinitionError(
      () => base('async-block', ['Open']).initially((async (s: never) => (s as { when(e: unknown): unknown }).when(Opened)) as never),
      { saga: 'async-block', state: 'Initial' },
      /do not make it async/,
    );
    await settle();
    expect(unhandled.map(String)).toEqual([]);
  });

  it('an async branch callback fails synchronously and leaves no unhandled rejection behind', async () => {
    expectDefinitionError(
      () =>
        base('async-branch', ['Open']).initially((s) =>
          s.when(Opened).if(() => true, (async (b: { transitionTo(x: string): unknown }) => b.transitionTo('Open')) as never),
        ),
      { saga: 'async-branch', state: 'Initial', event: 'Opened' },
      /do not make it async/,
    );
    await settle();
    expect(unhandled.map(String)).toEqual([]);
  });
});

describe('the thenable pitfall', () => {
  function timeout(ms: number): Promise<never> {
    return new Promise((_, reject) => setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms));
  }

  function captureBinder(): unknown {
    let captured: unknown;
    base('thenable', ['Open']).initially((s) => {
      const binder = s.when(Opened).transitionTo('Open');
      captured = binder;
      return binder;
    });
    return captured;
  }

  it('awaiting a binder fails clearly instead of hanging', async () => {
    const binder = captureBinder();
    const error = await Promise.race([(async () => await binder)(), timeout(1000)]).then(
      () => {
        throw new Error('awaiting a binder resolved');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as Error).message).toMatch(/saga 'thenable'.*awaited or returned from an async function/);
  });

  it('returning a binder from an async function fails clearly instead of hanging', async () => {
    const binder = captureBinder();
    const build = async () => binder;
    await expect(Promise.race([build(), timeout(1000)])).rejects.toThrow(/awaited or returned from an async function/);
  });

  it('a saga definition and an orchestrator are not thenable, so they can be awaited and returned', async () => {
    const saga = base('awaitable', ['Open']).initially((s) => s.when(Opened).transitionTo('Open'));
    const load = async () => saga;
    expect(await Promise.race([load(), timeout(1000)])).toBe(saga);
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    expect(await Promise.race([(async () => orchestrator)(), timeout(1000)])).toBe(orchestrator);
    expect('then' in saga).toBe(false);
    expect('then' in orchestrator).toBe(false);
  });
});

describe('saga options', () => {
  it('a data version without an upgrade from every older version fails', () => {
    expectDefinitionError(
      () => defineSaga('upgrades', { data: Data, states: ['Open'], version: 3, upgrade: { 1: (d) => d } }),
      { saga: 'upgrades' },
      /version 3 needs migrations\[2\] or upgrade\[2\]/,
    );
  });

  it('initial data failing the schema fails (no initialData and no defaults)', () => {
    expectDefinitionError(
      () => defineSaga('no-defaults', { data: z.object({ orderId: z.string() }), states: ['Open'] }),
      { saga: 'no-defaults' },
      /initial data does not match the data schema/,
    );
  });

  it('an explicit initialData failing the schema fails', () => {
    expectDefinitionError(
      () =>
        defineSaga('bad-initial', {
          data: z.object({ total: z.number() }),
          states: ['Open'],
          initialData: { total: 'zero' as unknown as number },
        }),
      { saga: 'bad-initial' },
      /initial data does not match/,
    );
  });

  it('a data option that is not a zod schema fails', () => {
    expectDefinitionError(
      () => defineSaga('no-schema', { data: { parse() {} } as never, states: ['Open'] }),
      { saga: 'no-schema' },
      /zod schema/,
    );
  });
});

describe('start-up', () => {
  const Broken = base('broken', ['Open', 'Orphan'])
    .initially((s) => s.when(Opened).transitionTo('Open'))
    .during('Open', (s) => s.when(Closed).then(() => {}));

  it('the orchestrator constructor throws for a broken saga, before any event arrives', () => {
    expectDefinitionError(() => new SagaOrchestrator({ sagas: [Broken] }), { saga: 'broken', state: 'Orphan' }, /never be reached/);
  });

  it('saga.machine and saga.toMermaid() report the same mistake', () => {
    expectDefinitionError(() => Broken.machine, { saga: 'broken', state: 'Orphan' }, /never be reached/);
    expectDefinitionError(() => Broken.toMermaid(), { saga: 'broken', state: 'Orphan' }, /never be reached/);
  });
});
