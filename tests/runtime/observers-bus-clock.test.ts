import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ActionError,
  FakeClock,
  InProcessBus,
  InMemorySagaRepository,
  SagaOrchestrator,
  ValidationError,
  defineCommand,
  defineEvent,
  defineSaga,
  isSagaflowError,
  type Envelope,
} from '../../src/index.ts';
import { CounterSaga, Incremented, Started, Stopped } from '../helpers/counter-saga.ts';

describe('observers', () => {
  it('see created, transitioned and completed after each commit, and faulted when an event fails', async () => {
    const seen: string[] = [];
    const orchestrator = new SagaOrchestrator({
      sagas: [CounterSaga],
      observers: [
        {
          created: (i) => seen.push(`created ${i.instance.correlationId} v${i.instance.version}`),
          transitioned: (i) => seen.push(`transitioned ${i.from ?? '-'}->${i.to} v${i.instance.version}`),
          completed: (i) => seen.push(`completed ${i.instance.status}`),
          faulted: (i) => seen.push(`faulted ${(i.error as Error).constructor.name}`),
        },
      ],
    });
    await orchestrator.publish(Started, { by: 1 }, { correlationId: 'c' });
    await orchestrator.publish(Incremented, { by: 2 }, { correlationId: 'c' });
    await orchestrator.publish(Stopped, {}, { correlationId: 'c' });
    await orchestrator.publish(Incremented, { by: 2 }, { correlationId: 'c' }).catch(() => {});
    expect(seen).toEqual([
      'created c v1',
      'transitioned -->Counting v1',
      'transitioned Counting->Counting v2',
      'transitioned Counting->Stopped v3',
      'completed completed',
      'faulted UnhandledEventError',
    ]);
  });

  it('never let a throwing observer affect processing; its error goes to onError', async () => {
    const errors: unknown[] = [];
    const orchestrator = new SagaOrchestrator({
      sagas: [CounterSaga],
      observers: [{ transitioned: () => { throw new Error('metrics backend down'); } }],
      onError: (e) => errors.push(e),
    });
    const result = await orchestrator.publish(Started, {}, { correlationId: 'c' });
    expect(result.outcomes[0]).toMatchObject({ result: 'applied', version: 1 });
    expect((errors[0] as Error).message).toBe('metrics backend down');
  });
});

describe('the in-process bus', () => {
  const Ping = defineEvent('Ping', z.object({ n: z.number() }));

  it('delivers to subscribers of the type and to wildcard subscribers, and stops after unsubscribe', async () => {
    const bus = new InProcessBus();
    const typed: number[] = [];
    const all: string[] = [];
    const off = bus.subscribe('Ping', (e) => void typed.push((e.payload as { n: number }).n));
    bus.subscribe('*', (e) => void all.push(e.type));
    await bus.publish(Ping, { n: 1 }, { correlationId: 'x' });
    off();
    await bus.publish(Ping, { n: 2 });
    expect(typed).toEqual([1]);
    expect(all).toEqual(['Ping', 'Ping']);
  });

  it('validates a payload published with its definition before delivering anything', async () => {
    const bus = new InProcessBus();
    let delivered = 0;
    bus.subscribe('Ping', () => void delivered++);
    expect(() => bus.publish(Ping, { n: 'one' } as never)).toThrow(ValidationError);
    expect(delivered).toBe(0);
  });

  it('rejects publish with the subscriber error, or an AggregateError for several', async () => {
    const bus = new InProcessBus();
    bus.subscribe('Ping', async () => { throw new Error('first'); });
    await expect(bus.publish(Ping, { n: 1 })).rejects.toThrow('first');
    bus.subscribe('Ping', () => { throw new Error('second'); });
    await expect(bus.publish(Ping, { n: 1 })).rejects.toBeInstanceOf(AggregateError);
  });

  it('waits in idle() for chains of deliveries to settle', async () => {
    const bus = new InProcessBus();
    const order: string[] = [];
    bus.subscribe('Ping', async (e) => {
      const n = (e.payload as { n: number }).n;
      await new Promise((r) => setTimeout(r, 5));
      order.push(`ping ${n}`);
      if (n < 3) bus.dispatch({ ...e, messageId: `m${n + 1}`, payload: { n: n + 1 } });
    });
    bus.dispatch({ kind: 'event', type: 'Ping', messageId: 'm1', payload: { n: 1 }, timestamp: new Date().toISOString(), headers: {} });
    await bus.idle();
    expect(order).toEqual(['ping 1', 'ping 2', 'ping 3']);
  });
});

describe('orchestrator and bus together', () => {
  const Requested = defineEvent('Requested', z.object({ n: z.number() }));
  const Work = defineCommand('Work', z.object({ n: z.number() }));
  const Done = defineEvent('Done', z.object({ n: z.number() }));
  const Pipeline = defineSaga('pipeline', { data: z.object({ n: z.number().default(0) }), states: ['Working', 'Finished'] })
    .initially((s) => s.when(Requested).then((ctx) => void (ctx.data.n = ctx.event.n)).send(Work, (ctx) => ({ n: ctx.data.n })).transitionTo('Working'))
    .during('Working', (s) =>
      s
        .when(Done, (ctx) => ctx.event.n === ctx.data.n)
        .transitionTo('Finished')
        .finalize()
        .when(Done)
        .then(() => { throw new Error('result for another request'); }),
    );

  it('receives events published on the bus, and its commands reach their handler with correlation and causation', async () => {
    const bus = new InProcessBus();
    const orchestrator = new SagaOrchestrator({ sagas: [Pipeline], bus });
    const commands: Envelope[] = [];
    bus.subscribe('Work', async (cmd) => {
      commands.push(cmd);
      await bus.publish(Done, { n: (cmd.payload as { n: number }).n }, { correlationId: cmd.correlationId!, causationId: cmd.messageId });
    });
    await bus.publish(Requested, { n: 7 }, { correlationId: 'p-1', messageId: 'req-1' });
    await bus.idle();
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({ kind: 'command', type: 'Work', correlationId: 'p-1', headers: { causationId: 'req-1' }, payload: { n: 7 } });
    expect(await orchestrator.find(Pipeline, 'p-1')).toMatchObject({ state: 'Finished', status: 'completed' });
  });

  it('dead-letters a message from the bus that fails for good, instead of failing its publisher', async () => {
    const bus = new InProcessBus();
    const orchestrator = new SagaOrchestrator({ sagas: [Pipeline], bus });
    await orchestrator.publish(Requested, { n: 1 }, { correlationId: 'p-2' });
    await bus.publish(Done, { n: 99 }, { correlationId: 'p-2', messageId: 'done-99' });
    expect((await orchestrator.find(Pipeline, 'p-2'))!.state).toBe('Working');
    const { items } = await orchestrator.deadLetters.list();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ reason: 'retries-exhausted', errorCode: new ActionError('s', 'c', 's', 't', 0).code, messageId: 'done-99', sagaName: 'pipeline', correlationId: 'p-2' });
  });

  it('stops receiving after close(), and refuses direct dispatch', async () => {
    const bus = new InProcessBus();
    const orchestrator = new SagaOrchestrator({ sagas: [Pipeline], bus });
    await orchestrator.close();
    await bus.publish(Requested, { n: 1 }, { correlationId: 'p-3' });
    expect(await orchestrator.find(Pipeline, 'p-3')).toBeNull();
    await expect(orchestrator.publish(Requested, { n: 1 }, { correlationId: 'p-3' })).rejects.toSatisfy((e) =>
      isSagaflowError(e, 'SAGA_ORCHESTRATOR_CLOSED'),
    );
  });
});

describe('time', () => {
  it('stamps instances, history and envelopes with the injected clock', async () => {
    const clock = new FakeClock(new Date('2025-10-27T10:00:00Z'));
    const repository = new InMemorySagaRepository();
    const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], repository, clock });
    await orchestrator.publish(Started, {}, { correlationId: 'c' });
    clock.advance(2 * 60 * 60 * 1000);
    await orchestrator.publish(Incremented, { by: 1 }, { correlationId: 'c' });
    const instance = (await orchestrator.find(CounterSaga, 'c'))!;
    expect(instance.createdAt.toISOString()).toBe('2025-10-27T10:00:00.000Z');
    expect(instance.updatedAt.toISOString()).toBe('2025-10-27T12:00:00.000Z');
    const history = await repository.history(instance.id);
    expect(history.map((h) => h.at.toISOString())).toEqual(['2025-10-27T10:00:00.000Z', '2025-10-27T12:00:00.000Z']);
    const stale = await repository.list({ updatedBefore: new Date('2025-10-27T11:00:00Z') });
    expect(stale.items).toEqual([]);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
