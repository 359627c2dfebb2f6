import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ActionError,
  CompensationError,
  InMemorySagaRepository,
  SagaOrchestrator,
  UnknownCompensationError,
  ValidationError,
  defineCompensation,
  defineEvent,
  defineSaga,
  isSagaflowError,
  type SagaRepository,
} from '../../src/index.ts';
import { crashingRepository, SimulatedCrash } from '../helpers/faulty-repository.ts';

const Step = defineEvent('Step', z.object({ name: z.string() }));
const Fail = defineEvent('Fail', z.object({ viaContext: z.boolean().default(false) }));
const Undo = defineCompensation('undo', z.object({ name: z.string() }));

/** Each Step registers `undo(name)`; Fail unwinds the stack. Handlers record what ran. */
function makeSaga(opts: { failOn?: Set<string>; ran?: string[]; attempts?: string[] } = {}) {
  const ran = opts.ran ?? [];
  const attempts = opts.attempts ?? [];
  const failOn = opts.failOn ?? new Set<string>();
  const saga = defineSaga('steps', { data: z.object({ steps: z.array(z.string()).default([]) }), states: ['Running', 'Failed'] })
    .initially((s) =>
      s
        .when(Step)
        .then((ctx) => {
          ctx.data.steps.push(ctx.event.name);
          ctx.compensation.add(Undo, { name: ctx.event.name });
        })
        .transitionTo('Running'),
    )
    .during('Running', (s) =>
      s
        .when(Step)
        .then((ctx) => {
          ctx.data.steps.push(ctx.event.name);
          ctx.compensation.add(Undo, { name: ctx.event.name });
        })
        .when(Fail, (ctx) => !ctx.event.viaContext)
        .compensate()
        .transitionTo('Failed')
        .finalize()
        .when(Fail)
        .then((ctx) => ctx.compensation.compensate())
        .transitionTo('Failed')
        .finalize(),
    )
    .compensation(Undo, async (args, ctx) => {
      attempts.push(`${args.name}@${ctx.attempt}`);
      await Promise.resolve();
      if (failOn.has(args.name)) throw new Error(`cannot undo ${args.name}`);
      ran.push(args.name);
    });
  return { saga, ran, failOn };
}

async function runSteps(orchestrator: SagaOrchestrator, id: string, names: string[]) {
  for (const name of names) await orchestrator.publish(Step, { name }, { correlationId: id });
}

describe('compensation', () => {
  it('runs registered compensations in reverse order, each once, and ends faulted in the final state', async () => {
    const { saga, ran } = makeSaga();
    const repository = new InMemorySagaRepository();
    const orchestrator = new SagaOrchestrator({ sagas: [saga], repository });
    await runSteps(orchestrator, 'o', ['a', 'b', 'c']);
    const result = await orchestrator.publish(Fail, {}, { correlationId: 'o' });
    expect(ran).toEqual(['c', 'b', 'a']);
    expect(result.outcomes[0]).toMatchObject({ result: 'applied', state: 'Failed', status: 'faulted', compensation: { steps: 3 } });
    const instance = (await orchestrator.find(saga, 'o'))!;
    expect(instance.compensation).toEqual([]);
    expect(instance.status).toBe('faulted');
    expect(instance.completedAt).toBeInstanceOf(Date);
    // One history row per write: 3 steps + the Fail transition + one per popped step.
    const history = await repository.history(instance.id);
    expect(history.map((h) => h.eventType)).toEqual([
      'Step',
      'Step',
      'Step',
      'Fail',
      'sagaflow.compensation.step',
      'sagaflow.compensation.step',
      'sagaflow.compensation.step',
    ]);
    expect(history.map((h) => (h.payload as { step?: string }).step).slice(4)).toEqual(['undo', 'undo', 'undo']);
    expect(history.map((h) => h.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(instance.version).toBe(7);
  });

  it('also runs when an action calls ctx.compensation.compensate()', async () => {
    const { saga, ran } = makeSaga();
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    await runSteps(orchestrator, 'o', ['a', 'b']);
    await orchestrator.publish(Fail, { viaContext: true }, { correlationId: 'o' });
    expect(ran).toEqual(['b', 'a']);
    expect((await orchestrator.find(saga, 'o'))!.status).toBe('faulted');
  });

  it('resumes after a crash mid-compensation without repeating a finished step', async () => {
    const ran: string[] = [];
    const attempts: string[] = [];
    const store = new InMemorySagaRepository();
    // The process dies right before it can record that the second step ('b') finished.
    const popWrites: number[] = [];
    const dying = crashingRepository(store, (commit) => {
      if (commit.kind === 'update' && commit.history.eventType === 'sagaflow.compensation.step') {
        popWrites.push(commit.history.sequence);
        return popWrites.length === 2;
      }
      return false;
    });
    const first = new SagaOrchestrator({ sagas: [makeSaga({ ran, attempts }).saga], repository: dying });
    await runSteps(first, 'o', ['a', 'b', 'c']);
    await expect(first.publish(Fail, {}, { correlationId: 'o' })).rejects.toBeInstanceOf(SimulatedCrash);
    expect(ran).toEqual(['c', 'b']);
    const stranded = (await store.findByCorrelation('steps', 'o'))!;
    expect(stranded.status).toBe('compensating');
    expect(stranded.compensation.map((e) => [(e.args as { name: string }).name, e.attempts])).toEqual([
      ['a', 0],
      ['b', 1], // claimed: it may have run
    ]);

    // A new process starts and recovers.
    const second = new SagaOrchestrator({ sagas: [makeSaga({ ran, attempts }).saga], repository: store });
    expect(await second.recover({ olderThanMs: 0 })).toBe(1);
    // 'c' never ran again; 'b' (in flight at the crash) ran again, at least once in all; then 'a'.
    expect(ran).toEqual(['c', 'b', 'b', 'a']);
    // The step that may have run before the crash knows it: its attempt is 2.
    expect(attempts).toEqual(['c@1', 'b@1', 'b@2', 'a@1']);
    const done = (await store.findByCorrelation('steps', 'o'))!;
    expect(done.status).toBe('faulted');
    expect(done.compensation).toEqual([]);
    expect(await second.recover({ olderThanMs: 0 })).toBe(0);
  });

  it('stops at a failing step, records the error, and resumes from that step on retryCompensation', async () => {
    const { saga, ran, failOn } = makeSaga({ failOn: new Set(['b']) });
    const repository = new InMemorySagaRepository();
    const seen: string[] = [];
    const orchestrator = new SagaOrchestrator({
      sagas: [saga],
      repository,
      observers: [{ compensationFailed: ({ step }) => void seen.push(`failed:${step}`), compensated: ({ steps }) => void seen.push(`compensated:${steps}`) }],
    });
    await runSteps(orchestrator, 'o', ['a', 'b', 'c']);
    const result = await orchestrator.publish(Fail, {}, { correlationId: 'o' });
    const outcome = result.outcomes[0]!;
    expect(outcome).toMatchObject({ result: 'applied', status: 'compensation_failed', compensation: { steps: 1 } });
    const error = outcome.result === 'applied' ? outcome.compensation?.error : undefined;
    expect(error).toBeInstanceOf(CompensationError);
    expect(error!.code).toBe('SAGA_COMPENSATION_FAILED');
    expect(ran).toEqual(['c']);
    let instance = (await orchestrator.find(saga, 'o'))!;
    expect(instance.status).toBe('compensation_failed');
    expect(instance.error).toMatchObject({ code: 'SAGA_COMPENSATION_FAILED', step: 'undo', message: expect.stringMatching(/cannot undo b/) });
    expect(instance.compensation.map((e) => (e.args as { name: string }).name)).toEqual(['a', 'b']);
    expect(seen).toEqual(['failed:undo']);

    failOn.clear(); // the downstream service is back
    const run = await orchestrator.retryCompensation(saga, 'o');
    expect(run.steps).toBe(2);
    expect(ran).toEqual(['c', 'b', 'a']);
    instance = (await orchestrator.find(saga, 'o'))!;
    expect(instance.status).toBe('faulted');
    expect(instance.error).toBeNull();
    expect(seen).toEqual(['failed:undo', 'compensated:2']);
    await expect(orchestrator.retryCompensation(saga, 'o')).rejects.toSatisfy((e) => isSagaflowError(e, 'SAGA_NOT_COMPENSATING'));
  });

  it('lets only one of two recovering processes run a resumed step', async () => {
    const ran: string[] = [];
    const store = new InMemorySagaRepository();
    const dying = crashingRepository(store, (c) => c.kind === 'update' && c.history.eventType === 'sagaflow.compensation.step');
    const first = new SagaOrchestrator({ sagas: [makeSaga({ ran }).saga], repository: dying });
    await runSteps(first, 'o', ['a', 'b']);
    await first.publish(Fail, {}, { correlationId: 'o' }).catch(() => {});
    expect(ran).toEqual(['b']);
    const p1 = new SagaOrchestrator({ sagas: [makeSaga({ ran }).saga], repository: store });
    const p2 = new SagaOrchestrator({ sagas: [makeSaga({ ran }).saga], repository: store });
    const resumed = await Promise.all([p1.recover({ olderThanMs: 0 }), p2.recover({ olderThanMs: 0 })]);
    // The loser of the claim skips the instance instead of failing.
    expect(resumed.sort()).toEqual([0, 1]);
    expect(ran).toEqual(['b', 'b', 'a']);
    expect((await store.findByCorrelation('steps', 'o'))!.status).toBe('faulted');
  });

  it('ends faulted without writes for steps when nothing was registered', async () => {
    const Boom = defineEvent('Boom', z.object({}));
    const saga = defineSaga('empty', { data: z.object({}), states: ['Failed'] })
      .initially((s) => s.when(Boom).compensate().transitionTo('Failed').finalize());
    const compensated: number[] = [];
    const orchestrator = new SagaOrchestrator({ sagas: [saga], observers: [{ compensated: ({ steps }) => void compensated.push(steps) }] });
    const result = await orchestrator.publish(Boom, {}, { correlationId: 'e' });
    expect(result.outcomes[0]).toMatchObject({ status: 'faulted', version: 1 });
    expect(compensated).toEqual([0]);
  });

  it('rejects an unknown compensation name or bad arguments inside the action, writing nothing', async () => {
    const Go = defineEvent('Go', z.object({ mode: z.enum(['unknown', 'badArgs']) }));
    const saga = defineSaga('typo', { data: z.object({}), states: ['On'] })
      .initially((s) =>
        s
          .when(Go)
          .then((ctx) => {
            if (ctx.event.mode === 'unknown') ctx.compensation.add('refnud', {});
            else ctx.compensation.add(Undo, { name: 42 } as never);
          })
          .transitionTo('On'),
      )
      .compensation(Undo, () => {});
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    const unknown = await orchestrator.publish(Go, { mode: 'unknown' }, { correlationId: 'u' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ActionError);
    expect((unknown as ActionError).cause).toBeInstanceOf(UnknownCompensationError);
    expect((unknown as Error).message).toMatch(/refnud/);
    const bad = await orchestrator.publish(Go, { mode: 'badArgs' }, { correlationId: 'b' }).catch((e: unknown) => e);
    expect((bad as ActionError).cause).toBeInstanceOf(ValidationError);
    expect(await orchestrator.find(saga, 'u')).toBeNull();
    expect(await orchestrator.find(saga, 'b')).toBeNull();
  });

  it('keeps the stack with the instance across processes: a later process compensates steps an earlier one registered', async () => {
    const ran: string[] = [];
    const store: SagaRepository = new InMemorySagaRepository();
    await runSteps(new SagaOrchestrator({ sagas: [makeSaga({ ran }).saga], repository: store }), 'o', ['x', 'y']);
    await new SagaOrchestrator({ sagas: [makeSaga({ ran }).saga], repository: store }).publish(Fail, {}, { correlationId: 'o' });
    expect(ran).toEqual(['y', 'x']);
  });
});

describe('recover() and the compensation lease', () => {
  it('leaves a run alone while it is younger than the lease, and takes it over after', async () => {
    const { z } = await import('zod');
    const { defineCompensation, defineEvent, defineSaga, FakeClock, InMemorySagaRepository, SagaOrchestrator } = await import('../../src/index.ts');
    const { crashingRepository } = await import('../helpers/faulty-repository.ts');
    const Placed = defineEvent('Placed', z.object({}));
    const Failed = defineEvent('Failed', z.object({}));
    const Undo = defineCompensation('undo', z.object({ n: z.number() }));
    const undone: number[] = [];
    const Saga = defineSaga('leased', { data: z.object({}), states: ['Open'] })
      .initially((s) => s.when(Placed).then((ctx) => [1, 2].forEach((n) => ctx.compensation.add(Undo, { n }))).transitionTo('Open'))
      .during('Open', (s) => s.when(Failed).compensate().finalize())
      .compensation(Undo, (args) => void undone.push(args.n));
    const store = new InMemorySagaRepository();
    const clock = new FakeClock();
    // The first process dies when it writes the result of the first step.
    const dying = crashingRepository(store, (commit) => commit.kind === 'update' && commit.history.eventType === 'sagaflow.compensation.step');
    const first = new SagaOrchestrator({ sagas: [Saga], repository: dying, clock, compensationLeaseMs: 10_000 });
    await first.publish(Placed, {}, { correlationId: 'l-1' });
    await first.publish(Failed, {}, { correlationId: 'l-1' }).catch(() => {});
    expect(undone).toEqual([2]);

    const second = new SagaOrchestrator({ sagas: [Saga], repository: store, clock, compensationLeaseMs: 10_000 });
    clock.advance(9_999);
    expect(await second.recover()).toBe(0);
    clock.advance(1);
    expect(await second.recover()).toBe(1);
    expect(undone).toEqual([2, 2, 1]); // the step that was running runs again (ctx.attempt 2), then the next
    expect((await second.find(Saga, 'l-1'))!.status).toBe('faulted');
  });
});
