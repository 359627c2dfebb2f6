import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ActionError,
  EnvelopeError,
  InMemorySagaRepository,
  InstanceDataError,
  InstanceNotFoundError,
  SagaOrchestrator,
  UnhandledEventError,
  UnknownEventError,
  ValidationError,
  createEnvelope,
  defineEvent,
  defineSaga,
  isSagaflowError,
} from '../../src/index.ts';
import { CounterSaga, Incremented, Started, Stopped } from '../helpers/counter-saga.ts';

const setup = (options: Partial<ConstructorParameters<typeof SagaOrchestrator>[0]> = {}) => {
  const repository = new InMemorySagaRepository();
  const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], repository, ...options });
  return { repository, orchestrator };
};

describe('bad input is rejected with a typed error and changes nothing', () => {
  it('rejects a payload that fails its schema with ValidationError before loading anything', async () => {
    const { orchestrator } = setup();
    await orchestrator.publish(Started, { by: 1 }, { correlationId: 'c' });
    const error = await orchestrator
      .dispatch(createEnvelope('event', 'Incremented', { by: 'three' }, { correlationId: 'c' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('SAGA_PAYLOAD_INVALID');
    expect((error as ValidationError).message).toMatch(/Incremented.*by/);
    const instance = await orchestrator.find(CounterSaga, 'c');
    expect(instance!.version).toBe(1);
    expect(instance!.data.count).toBe(1);
  });

  it('rejects a message type no saga handles with UnknownEventError, or ignores it when asked', async () => {
    const { orchestrator } = setup();
    const error = await orchestrator.dispatch(createEnvelope('event', 'Nope', {}, { correlationId: 'c' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownEventError);
    expect((error as UnknownEventError).code).toBe('SAGA_UNKNOWN_EVENT');
    const lenient = setup({ unknownEvent: 'ignore' }).orchestrator;
    expect((await lenient.dispatch(createEnvelope('event', 'Nope', {}, { correlationId: 'c' }))).outcomes).toEqual([]);
  });

  it.each([
    ['not an object', 42],
    ['no type', { messageId: 'm', kind: 'event', payload: {}, timestamp: new Date().toISOString(), headers: {} }],
    ['no message id', { type: 'Started', kind: 'event', payload: {}, timestamp: new Date().toISOString(), headers: {} }],
    ['a bad timestamp', { type: 'Started', messageId: 'm', kind: 'event', payload: {}, timestamp: 'yesterday', headers: {} }],
    ['no payload', { type: 'Started', messageId: 'm', kind: 'event', timestamp: new Date().toISOString(), headers: {} }],
    ['headers not an object', { type: 'Started', messageId: 'm', kind: 'event', payload: {}, timestamp: new Date().toISOString(), headers: 'x' }],
  ])('rejects a malformed envelope (%s) with EnvelopeError', async (_, envelope) => {
    const { orchestrator, repository } = setup();
    const error = await orchestrator.dispatch(envelope as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvelopeError);
    expect(isSagaflowError(error, 'SAGA_ENVELOPE_INVALID')).toBe(true);
    expect((await repository.list()).items).toEqual([]);
  });

  it('rejects an event without a correlation id when the saga correlates by envelope', async () => {
    const { orchestrator, repository } = setup();
    const error = await orchestrator.publish(Started, { by: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as Error).message).toMatch(/no correlation id for saga 'counter'/);
    expect((await repository.list()).items).toEqual([]);
  });

  it('raises InstanceNotFoundError for an event that cannot start an instance, or ignores it per policy', async () => {
    const { orchestrator } = setup();
    const error = await orchestrator.publish(Incremented, { by: 1 }, { correlationId: 'ghost' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstanceNotFoundError);
    expect((error as InstanceNotFoundError).correlationId).toBe('ghost');

    const lenientSaga = CounterSaga.event(Incremented, { missingInstance: 'ignore' });
    const lenient = new SagaOrchestrator({ sagas: [lenientSaga] });
    const result = await lenient.publish(Incremented, { by: 1 }, { correlationId: 'ghost' });
    expect(result.outcomes).toEqual([{ saga: 'counter', correlationId: 'ghost', result: 'ignored', reason: 'missing-instance' }]);
    expect(await lenient.find(lenientSaga, 'ghost')).toBeNull();
  });

  it('raises UnhandledEventError for an event the current state does not handle, or ignores it per policy', async () => {
    const { orchestrator } = setup();
    await orchestrator.publish(Started, {}, { correlationId: 'c' });
    await orchestrator.publish(Stopped, {}, { correlationId: 'c' });
    const error = await orchestrator.publish(Incremented, { by: 1 }, { correlationId: 'c' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnhandledEventError);
    expect((error as UnhandledEventError).state).toBe('Stopped');

    const lenient = new SagaOrchestrator({ sagas: [CounterSaga.event(Incremented, { unhandled: 'ignore' })] });
    await lenient.publish(Started, {}, { correlationId: 'c' });
    await lenient.publish(Stopped, {}, { correlationId: 'c' });
    const result = await lenient.publish(Incremented, { by: 1 }, { correlationId: 'c' });
    expect(result.outcomes[0]).toMatchObject({ result: 'ignored', reason: 'unhandled', state: 'Stopped' });
    expect((await lenient.find(CounterSaga, 'c'))!.version).toBe(2);
  });
});

describe('handler failures', () => {
  class Boom extends Error {}
  const Go = defineEvent('Go', z.object({ fail: z.boolean() }));
  const Sent = defineEvent('Sent', z.object({}));
  const FailingSaga = defineSaga('failing', { data: z.object({ touched: z.boolean().default(false) }), states: ['Running'] })
    .initially((s) => s.when(Go).transitionTo('Running'))
    .during('Running', (s) =>
      s
        .when(Go)
        .then((ctx) => {
          ctx.data.touched = true;
          ctx.publish(Sent, {});
        })
        .then(async (ctx) => {
          await Promise.resolve();
          if (ctx.event.fail) throw new Boom('payment service down');
        }),
    );

  it('persists nothing and sends nothing when an action throws without a catch, and reports ActionError with the cause', async () => {
    const repository = new InMemorySagaRepository();
    const orchestrator = new SagaOrchestrator({ sagas: [FailingSaga], repository });
    const sent: unknown[] = [];
    orchestrator.bus.subscribe('Sent', (e) => void sent.push(e));
    await orchestrator.publish(Go, { fail: false }, { correlationId: 'x' });
    const error = await orchestrator.publish(Go, { fail: true }, { correlationId: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).code).toBe('SAGA_ACTION_FAILED');
    expect((error as ActionError).cause).toBeInstanceOf(Boom);
    expect((error as ActionError).message).toMatch(/failing.*'x'.*Go.*Running.*payment service down/);
    const instance = await orchestrator.find(FailingSaga, 'x');
    expect(instance!.version).toBe(1);
    expect(instance!.data.touched).toBe(false);
    expect(await repository.history(instance!.id)).toHaveLength(1);
    expect(sent).toEqual([]);
  });

  it('rejects data that an action left invalid with InstanceDataError and writes nothing', async () => {
    const Bad = defineEvent('Bad', z.object({}));
    const saga = defineSaga('strict', { data: z.object({ n: z.number().default(0) }), states: ['On'] })
      .initially((s) => s.when(Bad).then((ctx) => void ((ctx.data as { n: unknown }).n = 'not a number')).transitionTo('On'));
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    const error = await orchestrator.publish(Bad, {}, { correlationId: 'q' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstanceDataError);
    expect((error as Error).message).toMatch(/an action left the data invalid/);
    expect(await orchestrator.find(saga, 'q')).toBeNull();
  });
});

describe('stored data is checked when loaded', () => {
  it('names the instance in InstanceDataError when a stored row no longer matches the schema', async () => {
    const repository = new InMemorySagaRepository();
    const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], repository });
    await orchestrator.publish(Started, { by: 1 }, { correlationId: 'drift' });
    const record = (await repository.findByCorrelation('counter', 'drift'))!;
    // Another deployment wrote a shape this one does not understand.
    await repository.commit({
      kind: 'update',
      instance: { ...record, data: { count: 'many' }, version: 2 },
      expectedVersion: 1,
      history: { instanceId: record.id, sequence: 2, messageId: 'm', eventType: 'X', stateBefore: 'Counting', stateAfter: 'Counting', payload: {}, at: new Date() },
    });
    const error = await orchestrator.publish(Incremented, { by: 1 }, { correlationId: 'drift' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InstanceDataError);
    expect((error as InstanceDataError).instanceId).toBe(record.id);
    expect((error as Error).message).toMatch(/drift.*no longer matches the schema.*count/);
    expect((await repository.findById(record.id))!.version).toBe(2);
  });

  it('upgrades old data versions on load, in order, and writes the current version', async () => {
    const Touch = defineEvent('Touch', z.object({}));
    const v1 = defineSaga('profile', { data: z.object({ name: z.string().default('') }), states: ['Open'] })
      .initially((s) => s.when(Touch).then((ctx) => void (ctx.data.name = 'Ada Lovelace')).transitionTo('Open'))
      .during('Open', (s) => s.ignore(Touch));
    const repository = new InMemorySagaRepository();
    await new SagaOrchestrator({ sagas: [v1], repository }).publish(Touch, {}, { correlationId: 'p' });

    const v3 = defineSaga('profile', {
      data: z.object({ first: z.string(), last: z.string(), tags: z.array(z.string()) }),
      states: ['Open'],
      initialData: { first: '', last: '', tags: [] },
      version: 3,
      upgrade: {
        1: (old) => {
          const [first = '', last = ''] = (old as { name: string }).name.split(' ');
          return { first, last };
        },
        2: (old) => ({ ...(old as object), tags: ['migrated'] }),
      },
    })
      .initially((s) => s.when(Touch).transitionTo('Open'))
      .during('Open', (s) => s.when(Touch).then((ctx) => void ctx.data.tags.push('touched')));
    const orchestrator = new SagaOrchestrator({ sagas: [v3], repository });
    expect((await orchestrator.find(v3, 'p'))!.data).toEqual({ first: 'Ada', last: 'Lovelace', tags: ['migrated'] });
    await orchestrator.publish(Touch, {}, { correlationId: 'p' });
    const stored = (await repository.findByCorrelation('profile', 'p'))!;
    expect(stored.dataVersion).toBe(3);
    expect(stored.data).toEqual({ first: 'Ada', last: 'Lovelace', tags: ['migrated', 'touched'] });
  });
});

describe('the reserved Final state', () => {
  it("rejects handlers for 'Final' in a saga where nothing finalizes into it", () => {
    const Ping = defineEvent('Ping', z.object({}));
    const saga = defineSaga('no-final', { data: z.object({}), states: ['Done'] })
      .initially((s) => s.when(Ping).transitionTo('Done').finalize())
      .during('Final', (s) => s.ignore(Ping));
    expect(() => saga.validate()).toThrow(/saga 'no-final', state 'Final', event 'Ping': the 'Final' state exists only when/);
  });

  it("accepts ignore() in 'Final' when finalize() leads there", async () => {
    const Ping = defineEvent('Ping', z.object({}));
    const saga = defineSaga('to-final', { data: z.object({}), states: [] })
      .initially((s) => s.when(Ping).finalize())
      .during('Final', (s) => s.ignore(Ping));
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    await orchestrator.publish(Ping, {}, { correlationId: 'f' });
    expect((await orchestrator.publish(Ping, {}, { correlationId: 'f' })).outcomes[0]).toMatchObject({ result: 'ignored', reason: 'ignored', state: 'Final' });
  });
});
