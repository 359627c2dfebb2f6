import { describe, expect, it } from 'vitest';
import {
  createEnvelope,
  DEAD_LETTER_NOT_FOUND,
  InMemorySagaRepository,
  InProcessBus,
  SagaOrchestrator,
  TransientStoreError,
  type DeadLetter,
  type SagaObserver,
  type SagaRepository,
} from '../../../src/index.ts';
import { delegate } from '../../helpers/faulty-repository.ts';
import { Incremented, Started, CounterSaga } from '../../helpers/counter-saga.ts';
import { ShipRequested, shipmentSaga } from './shipment-saga.ts';

function setup(options: { maxPayloadBytes?: number; repository?: SagaRepository } = {}) {
  const repository = options.repository ?? new InMemorySagaRepository();
  const seen: DeadLetter[] = [];
  const observer: SagaObserver = { deadLettered: ({ deadLetter }) => void seen.push(deadLetter) };
  const orchestrator = new SagaOrchestrator({
    sagas: [CounterSaga],
    repository,
    observers: [observer],
    ...(options.maxPayloadBytes !== undefined && { maxPayloadBytes: options.maxPayloadBytes }),
  });
  return { orchestrator, repository, seen };
}

const incremented = (by: unknown, correlationId = 'c-1', messageId = `inc-${String(by)}`) =>
  createEnvelope('event', Incremented.name, { by }, { correlationId, messageId });

describe('receive() and dead letters', () => {
  it('handles a valid message from bytes, text or an object', async () => {
    const { orchestrator } = setup();
    await orchestrator.receive(createEnvelope('event', Started.name, {}, { correlationId: 'c-1' }));
    const asText = JSON.stringify(incremented(1));
    const asBytes = Buffer.from(JSON.stringify(incremented(2)));
    expect(await orchestrator.receive(asText)).toMatchObject({ status: 'handled' });
    expect(await orchestrator.receive(asBytes)).toMatchObject({ status: 'handled' });
    expect(await orchestrator.find(CounterSaga, 'c-1')).toMatchObject({ data: { count: 3 } });
  });

  it.each([
    ['bytes that are not JSON', Buffer.from([0xff, 0x00, 0x7b]), 'malformed-envelope', 'SAGA_ENVELOPE_INVALID'],
    ['JSON that is not an envelope', '{"hello":"world"}', 'malformed-envelope', 'SAGA_ENVELOPE_INVALID'],
    ['a type no saga handles', createEnvelope('event', 'Nobody', {}, { correlationId: 'c-1' }), 'unknown-event', 'SAGA_UNKNOWN_EVENT'],
    ['a payload failing its schema', incremented('five'), 'invalid-payload', 'SAGA_PAYLOAD_INVALID'],
    ['an event for a missing instance', incremented(1, 'nobody'), 'rejected', 'SAGA_INSTANCE_NOT_FOUND'],
  ])('dead-letters %s, with the reason, and changes nothing', async (_what, input, reason, code) => {
    const { orchestrator, repository, seen } = setup();
    await orchestrator.publish(Started, {}, { correlationId: 'c-1' });
    const before = await repository.findByCorrelation('counter', 'c-1');
    const result = await orchestrator.receive(input);
    expect(result.status).toBe('dead-lettered');
    const letter = (result as { deadLetter: DeadLetter }).deadLetter;
    expect(letter).toMatchObject({ reason, errorCode: code, replays: 0 });
    expect(await orchestrator.deadLetters.get(letter.id)).toEqual(letter);
    expect(seen).toEqual([letter]);
    expect(await repository.findByCorrelation('counter', 'c-1')).toEqual(before);
    expect(await repository.outboxSize()).toBe(0);
  });

  it('keeps what arrived: the envelope as JSON, or the raw text', async () => {
    const { orchestrator } = setup();
    const raw = await orchestrator.receive('not { json');
    expect((raw as { deadLetter: DeadLetter }).deadLetter.envelope).toEqual({ raw: 'not { json' });
    const envelope = incremented(1, 'ghost', 'm-ghost');
    const rejected = await orchestrator.receive(envelope);
    expect((rejected as { deadLetter: DeadLetter }).deadLetter).toMatchObject({
      envelope: JSON.parse(JSON.stringify(envelope)),
      messageId: 'm-ghost',
      messageType: 'Incremented',
      sagaName: 'counter',
      correlationId: 'ghost',
    });
  });

  it('keeps the id and type a malformed envelope gives, for filtering', async () => {
    const { orchestrator } = setup();
    const result = await orchestrator.receive({ type: 'Incremented', messageId: 'm-odd', kind: 'rumour', payload: {} });
    expect(result).toMatchObject({ deadLetter: { reason: 'malformed-envelope', messageId: 'm-odd', messageType: 'Incremented' } });
    expect((await orchestrator.deadLetters.list({ messageType: 'Incremented' })).items).toHaveLength(1);
  });

  it('dead-letters a payload over the size limit', async () => {
    const { orchestrator } = setup({ maxPayloadBytes: 64 });
    await orchestrator.publish(Started, {}, { correlationId: 'c-1' });
    const big = createEnvelope('event', Started.name, { by: 1, pad: 'x'.repeat(100) }, { correlationId: 'c-2' });
    const result = await orchestrator.receive(big);
    expect(result).toMatchObject({ status: 'dead-lettered', deadLetter: { reason: 'payload-too-large', errorCode: 'SAGA_PAYLOAD_TOO_LARGE' } });
    expect(await orchestrator.find(CounterSaga, 'c-2')).toBeNull();
  });

  it('dead-letters an event whose action failed after its retries, with the instance id', async () => {
    const { saga, probe } = shipmentSaga({ retry: { maxRetries: 1, initialDelayMs: 1 } });
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    const result = await orchestrator.receive(createEnvelope('event', ShipRequested.name, { orderId: 'o-1', failTimes: 9 }, { correlationId: 'o-1' }));
    expect(result).toMatchObject({
      status: 'dead-lettered',
      deadLetter: { reason: 'retries-exhausted', errorCode: 'SAGA_RETRIES_EXHAUSTED', sagaName: 'shipment', correlationId: 'o-1', instanceId: null },
    });
    // An existing instance is named: its compensation fails for good here.
    await orchestrator.publish(ShipRequested, { orderId: 'o-2' }, { correlationId: 'o-2' });
    const instance = await orchestrator.find(saga, 'o-2');
    const unhandled = await orchestrator.receive(createEnvelope('event', ShipRequested.name, { orderId: 'o-2' }, { correlationId: 'o-2' }));
    expect(unhandled).toMatchObject({ deadLetter: { reason: 'rejected', errorCode: 'SAGA_EVENT_UNHANDLED', instanceId: instance!.id } });
    expect(probe.attempts.get('o-2')).toBe(1);
  });

  it('throws, rather than dead-letters, what may pass: the store failing, at once and typed', async () => {
    const store = new InMemorySagaRepository();
    let reads = 0;
    const down: SagaRepository = {
      ...delegate(store),
      findByCorrelation: async () => {
        reads++;
        throw new TransientStoreError('08006', new Error('connection lost'));
      },
    };
    const { orchestrator } = setup({ repository: down });
    const started = performance.now();
    const error = await orchestrator.receive(createEnvelope('event', Started.name, {}, { correlationId: 'c-9' })).catch((e: unknown) => e);
    // The store's own error, after a few quick tries: not RetriesExhaustedError after twelve.
    expect(error).toBeInstanceOf(TransientStoreError);
    expect(error).toMatchObject({ code: 'SAGA_STORE_TRANSIENT', reason: '08006', unavailable: true });
    expect(reads).toBe(3);
    expect(performance.now() - started).toBeLessThan(500);
    expect((await store.listDeadLetters()).items).toEqual([]);
  });

  it('still retries a serialization failure with the conflict budget and reports it exhausted', async () => {
    const store = new InMemorySagaRepository();
    let reads = 0;
    const conflicting: SagaRepository = {
      ...delegate(store),
      findByCorrelation: async () => {
        reads++;
        throw new TransientStoreError('40001', new Error('could not serialize access'));
      },
    };
    const { orchestrator } = setup({ repository: conflicting });
    const error = await orchestrator.receive(createEnvelope('event', Started.name, {}, { correlationId: 'c-10' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SAGA_RETRIES_EXHAUSTED' });
    expect((error as Error).cause).toBeInstanceOf(TransientStoreError);
    expect(reads).toBe(12);
  });

  it('dead-letters from the bus, so one bad message does not stop its publisher', async () => {
    const bus = new InProcessBus();
    const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], bus });
    await bus.publish(incremented(1, 'nobody'));
    expect((await orchestrator.deadLetters.list()).items).toHaveLength(1);
  });

  it('lists with filters and pages, oldest first', async () => {
    const { orchestrator } = setup();
    await orchestrator.receive('x');
    await orchestrator.receive(incremented(1, 'a'));
    await orchestrator.receive(incremented(2, 'b'));
    const all = await orchestrator.deadLetters.list();
    expect(all.items.map((d) => d.reason)).toEqual(['malformed-envelope', 'rejected', 'rejected']);
    expect((await orchestrator.deadLetters.list({ reason: 'rejected' })).items.map((d) => d.correlationId)).toEqual(['a', 'b']);
    expect((await orchestrator.deadLetters.list({ messageType: 'Incremented', sagaName: 'counter' })).items).toHaveLength(2);
    const first = await orchestrator.deadLetters.list({ limit: 2 });
    const second = await orchestrator.deadLetters.list({ limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((d) => d.id)).toEqual(all.items.map((d) => d.id));
    expect(second.nextCursor).toBeNull();
  });

  it('replays a letter once the cause is fixed, and removes it', async () => {
    const { orchestrator } = setup();
    const result = await orchestrator.receive(incremented(4, 'late', 'inc-late'));
    const letter = (result as { deadLetter: DeadLetter }).deadLetter;
    await orchestrator.publish(Started, {}, { correlationId: 'late' }); // the instance exists now
    const replayed = await orchestrator.deadLetters.replay(letter.id);
    expect(replayed.outcomes[0]).toMatchObject({ result: 'applied', state: 'Counting' });
    expect(await orchestrator.deadLetters.get(letter.id)).toBeNull();
    expect(await orchestrator.find(CounterSaga, 'late')).toMatchObject({ data: { count: 4 } });
    // Replaying the same message again (had it been captured twice) would be a duplicate, not a second increment.
    const again = await orchestrator.dispatch(incremented(4, 'late', 'inc-late'));
    expect(again.outcomes[0]).toMatchObject({ result: 'duplicate' });
  });

  it('keeps a letter whose replay fails, counting the replay and recording the new error', async () => {
    const { orchestrator } = setup();
    const letter = ((await orchestrator.receive(incremented(4, 'never'))) as { deadLetter: DeadLetter }).deadLetter;
    await expect(orchestrator.deadLetters.replay(letter.id)).rejects.toMatchObject({ code: 'SAGA_INSTANCE_NOT_FOUND' });
    expect(await orchestrator.deadLetters.get(letter.id)).toMatchObject({ replays: 1, errorCode: 'SAGA_INSTANCE_NOT_FOUND' });
    const malformed = ((await orchestrator.receive('{')) as { deadLetter: DeadLetter }).deadLetter;
    await expect(orchestrator.deadLetters.replay(malformed.id)).rejects.toMatchObject({ code: 'SAGA_ENVELOPE_INVALID' });
  });

  it('discards a letter for good, and says when there was none', async () => {
    const { orchestrator } = setup();
    const letter = ((await orchestrator.receive('{')) as { deadLetter: DeadLetter }).deadLetter;
    expect(await orchestrator.deadLetters.discard(letter.id)).toBe(true);
    expect(await orchestrator.deadLetters.discard(letter.id)).toBe(false);
    await expect(orchestrator.deadLetters.replay(letter.id)).rejects.toMatchObject({ code: DEAD_LETTER_NOT_FOUND });
  });
});
