/**
 * The pure migration (`migrateInstance`), the definition-time gap checks, and the in-memory runtime:
 * lazy migration on load, messages under renamed names, and an old definition refusing a newer instance.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DefinitionError,
  FakeClock,
  InMemorySagaRepository,
  InstanceMigrationError,
  SagaOperations,
  SagaOrchestrator,
  SagaVersionNewerError,
  defineEvent,
  defineSaga,
  instanceProblems,
  migrateInstance,
  migrateInstances,
  type SagaMigrations,
} from '../../src/index.ts';
import { deadLetterReason } from '../../src/runtime/dead-letter-reason.ts';
import { makeInstance } from '../helpers/records.ts';

const Go = defineEvent('EvoGo', z.object({}));
const Ping = defineEvent('EvoPing', z.object({}));
const Late = defineEvent('EvoLate', z.object({}));

/** A saga at `version` with `states`, each handling Ping, and steps `steps`. */
function saga(options: { version?: number; migrations?: SagaMigrations; states: string[]; steps?: string[]; data?: z.ZodType }) {
  const [first, ...rest] = options.states;
  let s = defineSaga('evo', { ...options, data: options.data ?? z.object({}).passthrough() })
    .initially((b) => b.when(Go).transitionTo(first!))
    .during(first!, ...rest, (b) => b.when(Ping).then(() => undefined));
  // Every state reachable: the first leads to each of the others.
  for (const state of rest) s = s.during(first!, (b) => b.when(defineEvent(`EvoTo${state}`, z.object({}))).transitionTo(state));
  for (const step of options.steps ?? []) s = s.compensation(step, z.object({}).passthrough(), () => undefined);
  return s;
}

const record = (over: Parameters<typeof makeInstance>[0]) => makeInstance({ sagaName: 'evo', correlationId: 'e-1', ...over });
const now = new Date('2026-01-01T00:00:00Z');

describe('migrateInstance', () => {
  it('renames states, steps, schedule events and timeout keys, transforms data, and lists each change', () => {
    const v2 = saga({
      version: 2,
      states: ['Paying', 'Done'],
      steps: ['refundCharge'],
      migrations: {
        1: {
          states: { AwaitingPayment: 'Paying' },
          events: { EvoOldLate: 'EvoPing' },
          compensations: { refund: 'refundCharge', audit: null },
          data: (d) => ({ ...(d as object), cents: 100 }),
        },
      },
    });
    const stored = record({
      state: 'AwaitingPayment',
      data: { a: 1 },
      compensation: [
        { name: 'refund', args: {}, attempts: 0 },
        { name: 'audit', args: {}, attempts: 0 },
      ],
      schedules: [{ key: 'timeout:AwaitingPayment', token: 't-1', type: 'EvoOldLate', dueAt: now }],
    });
    const { record: out, changes, from, to } = migrateInstance(v2.compiled, stored, now);
    expect([from, to]).toEqual([1, 2]);
    expect(out).toMatchObject({
      state: 'Paying',
      dataVersion: 2,
      version: stored.version,
      data: { a: 1, cents: 100 },
      compensation: [{ name: 'refundCharge', args: {}, attempts: 0 }],
      schedules: [{ key: 'timeout:Paying', token: 't-1', type: 'EvoPing' }],
    });
    expect(changes.map((c) => c.kind)).toEqual(['state', 'schedule', 'compensation', 'compensation', 'data']);
    expect(instanceProblems(v2.compiled, stored, now)).toEqual([]);
  });

  it('composes migrations: a version-1 instance under version 3 goes through both', () => {
    const v3 = saga({
      version: 3,
      states: ['C'],
      migrations: { 1: { states: { A: 'B' }, data: (d: unknown) => ({ ...(d as object), one: true }) }, 2: { states: { B: 'C' } } },
      upgrade: undefined,
    } as never);
    const out = migrateInstance(v3.compiled, record({ state: 'A', data: {} }), now).record;
    expect(out).toMatchObject({ state: 'C', dataVersion: 3, data: { one: true } });
    // A version-2 instance takes only the second step.
    expect(migrateInstance(v3.compiled, record({ state: 'B', dataVersion: 2, data: {} }), now).record).toMatchObject({ state: 'C', data: {} });
  });

  it("splits a state by the instance's data, and refuses a pick outside the listed states", () => {
    const v2 = saga({
      version: 2,
      states: ['Small', 'Large'],
      migrations: { 1: { states: { Open: { among: ['Small', 'Large'], pick: (d) => ((d as { n: number }).n > 10 ? 'Large' : 'Small') } } } },
    });
    expect(migrateInstance(v2.compiled, record({ state: 'Open', data: { n: 50 } }), now).record.state).toBe('Large');
    expect(migrateInstance(v2.compiled, record({ state: 'Open', data: { n: 5 } }), now).record.state).toBe('Small');
    const bad = saga({ version: 2, states: ['Small'], migrations: { 1: { states: { Open: { among: ['Small'], pick: () => 'Huge' as never } } } } });
    expect(() => migrateInstance(bad.compiled, record({ state: 'Open' }), now)).toThrow(InstanceMigrationError);
  });

  it('maps a removed state to "compensate now" or to "fault"', () => {
    const v2 = saga({
      version: 2,
      states: ['Open', 'Cancelled'],
      steps: ['refund'],
      migrations: { 1: { states: { Legacy: { compensate: 'Cancelled' }, Broken: { fault: 'no longer supported' } } } },
    });
    const stack = [{ name: 'refund', args: {}, attempts: 0 }];
    const compensating = migrateInstance(v2.compiled, record({ state: 'Legacy', compensation: stack }), now).record;
    expect(compensating).toMatchObject({ state: 'Cancelled', status: 'compensating', compensation: stack });
    const schedules = [{ key: 'deadline', token: 'tok-9', type: 'EvoLate', dueAt: now }];
    const faulted = migrateInstance(v2.compiled, record({ state: 'Broken', compensation: stack, schedules }), now);
    expect(faulted.record).toMatchObject({ state: 'Final', status: 'faulted', error: { code: 'SAGA_MIGRATION_FAULT', message: 'no longer supported' } });
    expect(faulted.record.schedules).toBeUndefined();
    expect(faulted.cancelOutbox).toEqual(['tok-9']);
  });

  it('renames a command in a pending request: its key and its outcome events', () => {
    const Charged = defineEvent('CapturePayment.TimedOut', z.object({}).passthrough());
    const v2 = defineSaga('evo', { data: z.object({}), states: ['Open'], version: 2, migrations: { 1: { commands: { ChargeCard: 'CapturePayment' } } } })
      .initially((b) => b.when(Go).transitionTo('Open'))
      .during('Open', (b) => b.when(Charged).then(() => undefined));
    const stored = record({ state: 'Open', data: {}, schedules: [{ key: 'request:ChargeCard', token: 't', type: 'ChargeCard.TimedOut', dueAt: now, requestId: 'c-1' }] });
    expect(migrateInstance(v2.compiled, stored, now).record.schedules).toEqual([
      { key: 'request:CapturePayment', token: 't', type: 'CapturePayment.TimedOut', dueAt: now, requestId: 'c-1' },
    ]);
  });

  it('refuses an instance a newer definition version wrote, with a typed error the transport redelivers', () => {
    const v1 = saga({ states: ['Open'] });
    const error = (() => {
      try {
        migrateInstance(v1.compiled, record({ state: 'Open', dataVersion: 2 }), now);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SagaVersionNewerError);
    expect(error).toMatchObject({ code: 'SAGA_VERSION_NEWER', instanceVersion: 2, definitionVersion: 1 });
    expect(deadLetterReason(error)).toBeNull();
  });
});

describe('definition-time checks', () => {
  it('a version without a migration for every earlier version is a DefinitionError', () => {
    expect(() => saga({ version: 3, states: ['Open'], migrations: { 1: {} } })).toThrow(/version 3 needs migrations\[2\] or upgrade\[2\]/);
  });

  it('a state a migration leads to that the current version cannot place is a gap', () => {
    // v1 A -> B in version 2, but version 3 no longer declares B and maps nothing for it.
    expect(() => saga({ version: 3, states: ['C'], migrations: { 1: { states: { A: 'B' } }, 2: {} } })).toThrow(DefinitionError);
    expect(() => saga({ version: 3, states: ['C'], migrations: { 1: { states: { A: 'B' } }, 2: {} } })).toThrow(
      /migrations\[1\]\.states leads version-1 state 'A' to 'B', which version 2 cannot place/,
    );
    // Declared old states must all be placed.
    expect(() => saga({ version: 2, states: ['Open'], migrations: { 1: { fromStates: ['Open', 'Gone'] } } })).toThrow(/version 1 state 'Gone' has no place/);
    expect(() => saga({ version: 2, states: ['Open'], migrations: { 1: { fromStates: ['Open', 'Gone'], states: { Gone: 'Open' } } } })).not.toThrow();
  });

  it('a renamed event or step must exist in the built saga', () => {
    const s = saga({ version: 2, states: ['Open'], migrations: { 1: { compensations: { refund: 'refundCharge' } } } });
    expect(() => s.validate()).toThrow(/compensation step 'refund' to 'refundCharge'/);
    const e = saga({ version: 2, states: ['Open'], migrations: { 1: { events: { Old: 'Nope' } } } });
    expect(() => e.validate()).toThrow(/event 'Old' to 'Nope'/);
  });

  it('keeps upgrade[n] as the data part of migration n, but not both', () => {
    expect(() => saga({ version: 2, states: ['Open'], upgrade: { 1: (d: unknown) => d }, migrations: { 1: { data: (d: unknown) => d } } } as never)).toThrow(
      /both upgrade\[1\] and migrations\[1\]\.data/,
    );
  });
});

describe('the runtime, in memory', () => {
  it('migrates lazily on load in its own write with one sagaflow.migrated row, then applies the event', async () => {
    const repository = new InMemorySagaRepository();
    const v1 = saga({ states: ['Old'] });
    await new SagaOrchestrator({ sagas: [v1], repository }).publish(Go, {}, { correlationId: 'x' });
    const v2 = saga({ version: 2, states: ['New'], migrations: { 1: { states: { Old: 'New' } } } });
    const o2 = new SagaOrchestrator({ sagas: [v2], repository });
    // find() shows it as version 2 holds it, and writes nothing.
    expect(await o2.find(v2, 'x')).toMatchObject({ state: 'New', dataVersion: 2, version: 1 });
    expect((await repository.findByCorrelation('evo', 'x'))!.dataVersion).toBe(1);
    const outcome = (await o2.publish(Ping, {}, { correlationId: 'x' })).outcomes[0];
    expect(outcome).toMatchObject({ result: 'applied', stateBefore: 'New', state: 'New', version: 3 });
    const stored = (await repository.findByCorrelation('evo', 'x'))!;
    const history = await repository.history(stored.id);
    expect(history.map((h) => h.eventType)).toEqual(['EvoGo', 'sagaflow.migrated', 'EvoPing']);
    expect(history[1]).toMatchObject({ stateBefore: 'Old', stateAfter: 'New', payload: { from: 1, to: 2, changes: [{ kind: 'state', from: 'Old', to: 'New' }] } });

    // The old definition now refuses it, and writes nothing.
    const error = await new SagaOrchestrator({ sagas: [v1], repository }).publish(Ping, {}, { correlationId: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SagaVersionNewerError);
    expect((await repository.findByCorrelation('evo', 'x'))!.version).toBe(3);
  });

  it('a timeout scheduled under an event name a migration renamed still fires, as the new event', async () => {
    const clock = new FakeClock(0);
    const repository = new InMemorySagaRepository();
    const OldLate = defineEvent('EvoOldLate', z.object({}));
    const v1 = defineSaga('late', { data: z.object({}), states: ['Waiting', 'Gone'] })
      .initially((b) => b.when(Go).transitionTo('Waiting'))
      .timeout('Waiting', { after: 1000, event: OldLate })
      .during('Waiting', (b) => b.when(OldLate).transitionTo('Gone').finalize());
    const o1 = new SagaOrchestrator({ sagas: [v1], repository, clock });
    await o1.publish(Go, {}, { correlationId: 'l' });
    await o1.close();

    const v2 = defineSaga('late', { data: z.object({}), states: ['Waiting', 'Gone'], version: 2, migrations: { 1: { events: { EvoOldLate: 'EvoLate' } } } })
      .initially((b) => b.when(Go).transitionTo('Waiting'))
      .timeout('Waiting', { after: 1000, event: Late })
      .during('Waiting', (b) => b.when(Late).transitionTo('Gone').finalize());
    const o2 = new SagaOrchestrator({ sagas: [v2], repository, clock });
    expect(instanceProblems(v2.compiled, (await repository.findByCorrelation('late', 'l'))!, new Date(0))).toEqual([]);
    clock.advance(1500);
    await o2.relay!.runOnce();
    await o2.idle();
    const stored = (await repository.findByCorrelation('late', 'l'))!;
    expect(stored).toMatchObject({ state: 'Gone', status: 'completed', dataVersion: 2 });
    const history = await repository.history(stored.id);
    expect(history.map((h) => h.eventType)).toEqual(['EvoGo', 'sagaflow.migrated', 'EvoLate']);
    await o2.close();
  });

  it('the overview counts live instances still on older definition versions', async () => {
    const repository = new InMemorySagaRepository();
    const v1 = new SagaOrchestrator({ sagas: [saga({ states: ['Old'] })], repository });
    for (const id of ['o-1', 'o-2']) await v1.publish(Go, {}, { correlationId: id });
    const v2 = saga({ version: 2, states: ['New'], migrations: { 1: { states: { Old: 'New' } } } });
    await new SagaOrchestrator({ sagas: [v2], repository }).publish(Ping, {}, { correlationId: 'o-1' });
    const [overview] = await new SagaOperations({ repository, sagas: [v2] }).sagas();
    expect(overview).toMatchObject({
      name: 'evo',
      definitionVersion: 2,
      versions: [
        { version: 1, total: 1, live: 1 },
        { version: 2, total: 1, live: 1 },
      ],
      liveOnOlderVersions: 1,
    });
    const listed = await new SagaOperations({ repository }).listInstances({ definitionVersion: 1 });
    expect(listed.items.map((i) => [i.correlationId, i.definitionVersion])).toEqual([['o-2', 1]]);
  });

  it('instances migrate resumes after a crash: run again, it takes what is left, each instance migrated once', async () => {
    const repository = new InMemorySagaRepository();
    const v1 = new SagaOrchestrator({ sagas: [saga({ states: ['Old'] })], repository });
    const ids = Array.from({ length: 7 }, (_, i) => `m-${i}`);
    for (const id of ids) await v1.publish(Go, {}, { correlationId: id });
    const v2 = saga({ version: 2, states: ['New'], migrations: { 1: { states: { Old: 'New' } } } });
    const crash = new Error('killed after the first batch');
    await expect(
      migrateInstances([v2.compiled], repository, {
        batch: 3,
        onProgress: () => {
          throw crash;
        },
      }),
    ).rejects.toBe(crash);
    expect((await repository.list({ definitionVersion: 2 })).items).toHaveLength(3);
    const [rerun] = await migrateInstances([v2.compiled], repository, { batch: 3 });
    expect(rerun).toMatchObject({ migrated: 4, failed: 0 });
    for (const id of ids) {
      const r = (await repository.findByCorrelation('evo', id))!;
      expect(r).toMatchObject({ state: 'New', dataVersion: 2 });
      expect((await repository.history(r.id)).filter((h) => h.eventType === 'sagaflow.migrated')).toHaveLength(1);
    }
    const [again] = await migrateInstances([v2.compiled], repository);
    expect(again).toMatchObject({ migrated: 0, skipped: 0 });
  });

  it('"compensate now" unwinds the stack when the instance is next loaded, before the event is applied', async () => {
    const repository = new InMemorySagaRepository();
    const undone: string[] = [];
    const Refund = z.object({ tx: z.string() });
    const v1 = defineSaga('comp', { data: z.object({}), states: ['Legacy'] })
      .initially((b) => b.when(Go).then((ctx) => ctx.compensation.add('refund', { tx: 'tx-1' })).transitionTo('Legacy'))
      .during('Legacy', (b) => b.when(Ping).then(() => undefined))
      .compensation('refund', Refund, () => undefined);
    await new SagaOrchestrator({ sagas: [v1], repository }).publish(Go, {}, { correlationId: 'c' });
    const v2 = defineSaga('comp', { data: z.object({}), states: ['Open', 'Cancelled'], version: 2, migrations: { 1: { states: { Legacy: { compensate: 'Cancelled' } } } } })
      .initially((b) => b.when(Go).transitionTo('Open'))
      .during('Open', (b) => b.when(Ping).transitionTo('Cancelled').finalize())
      .during('Cancelled', (b) => b.ignore(Ping))
      .compensation('refund', Refund, (args) => void undone.push(args.tx));
    const outcome = (await new SagaOrchestrator({ sagas: [v2], repository }).publish(Ping, {}, { correlationId: 'c' })).outcomes[0];
    expect(undone).toEqual(['tx-1']);
    expect(outcome).toMatchObject({ result: 'ignored', state: 'Cancelled' });
    const stored = (await repository.findByCorrelation('comp', 'c'))!;
    expect(stored).toMatchObject({ state: 'Cancelled', status: 'faulted', compensation: [], dataVersion: 2 });
    expect((await repository.history(stored.id)).map((h) => h.eventType)).toEqual([
      'EvoGo',
      'sagaflow.migrated',
      'sagaflow.compensation.retry',
      'sagaflow.compensation.step',
    ]);
  });

  it("start-up check: 'refuse' throws StrandedInstancesError, 'warn' reports and starts", async () => {
    const repository = new InMemorySagaRepository();
    await new SagaOrchestrator({ sagas: [saga({ states: ['Old'] })], repository }).publish(Go, {}, { correlationId: 's' });
    const renamed = saga({ states: ['New'] });
    const refusing = new SagaOrchestrator({ sagas: [renamed], repository, startupCheck: 'refuse', relay: false });
    await expect(refusing.start()).rejects.toMatchObject({ code: 'SAGA_INSTANCES_STRANDED' });
    const lines: unknown[] = [];
    const warning = new SagaOrchestrator({ sagas: [renamed], repository, relay: false, logger: { log: (_l, f) => void lines.push(f) } });
    await warning.start();
    expect(warning.startupReport).toMatchObject({ ok: false, sagas: [{ saga: 'evo', stranded: 1, problems: [{ kind: 'unknown-state', count: 1 }] }] });
    expect(lines).toHaveLength(1);
    await Promise.all([refusing.close(), warning.close()]);
  });
});
