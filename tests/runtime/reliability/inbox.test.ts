import { describe, expect, it } from 'vitest';
import { createEnvelope, InMemorySagaRepository, InProcessBus, SagaOrchestrator } from '../../../src/index.ts';
import { interleavingRepository } from '../../helpers/faulty-repository.ts';
import { Incremented, Started, CounterSaga } from '../../helpers/counter-saga.ts';
import { Ship, ShipRequested, Shipped, shipmentSaga } from './shipment-saga.ts';

describe('the inbox', () => {
  it('acknowledges a redelivered message with no effect', async () => {
    const repository = new InMemorySagaRepository();
    const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], repository });
    await orchestrator.publish(Started, {}, { correlationId: 'c-1' });
    const envelope = createEnvelope('event', Incremented.name, { by: 5 }, { correlationId: 'c-1', messageId: 'inc-1' });
    const first = await orchestrator.dispatch(envelope);
    const again = await orchestrator.dispatch(envelope);
    expect(first.outcomes[0]).toMatchObject({ result: 'applied', version: 2 });
    expect(again.outcomes[0]).toMatchObject({ result: 'duplicate', saga: 'counter', correlationId: 'c-1' });
    const instance = await orchestrator.find(CounterSaga, 'c-1');
    expect(instance).toMatchObject({ version: 2, data: { count: 5, seen: [5] } });
    expect(await repository.history(instance!.id)).toHaveLength(2);
  });

  it('applies one of many concurrent deliveries of the same message, and reports the rest as duplicates', async () => {
    const shared = interleavingRepository(new InMemorySagaRepository());
    const orchestrators = [0, 1].map(() => new SagaOrchestrator({ sagas: [CounterSaga], repository: shared }));
    await orchestrators[0]!.publish(Started, {}, { correlationId: 'c-2' });
    const envelope = createEnvelope('event', Incremented.name, { by: 1 }, { correlationId: 'c-2', messageId: 'inc-once' });
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => orchestrators[i % 2]!.dispatch(envelope)));
    const kinds = results.map((r) => r.outcomes[0]!.result);
    expect(kinds.filter((k) => k === 'applied')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'duplicate')).toHaveLength(15);
    expect(await orchestrators[0]!.find(CounterSaga, 'c-2')).toMatchObject({ version: 2, data: { count: 1 } });
  });

  it('treats a redelivery that finds the instance past the handling state as a duplicate, not an unhandled event', async () => {
    const bus = new InProcessBus();
    bus.subscribe(Ship.name, () => {});
    const orchestrator = new SagaOrchestrator({ sagas: [shipmentSaga().saga], bus });
    const request = createEnvelope('event', ShipRequested.name, { orderId: 'o-1' }, { correlationId: 'o-1', messageId: 'req-1' });
    await orchestrator.dispatch(request);
    await orchestrator.publish(Shipped, { orderId: 'o-1' }, { correlationId: 'o-1' });
    // `Done` has no handler for ShipRequested, and the saga's policy for unhandled events is 'error'.
    const again = await orchestrator.dispatch(request);
    expect(again.outcomes[0]).toMatchObject({ result: 'duplicate' });
    const fresh = createEnvelope('event', ShipRequested.name, { orderId: 'o-1' }, { correlationId: 'o-1', messageId: 'req-2' });
    await expect(orchestrator.dispatch(fresh)).rejects.toMatchObject({ code: 'SAGA_EVENT_UNHANDLED' });
  });

  it('stages the outgoing messages of a duplicate nowhere', async () => {
    const repository = new InMemorySagaRepository();
    const bus = new InProcessBus();
    const sent: string[] = [];
    bus.subscribe(Ship.name, (e) => void sent.push(e.messageId));
    const orchestrator = new SagaOrchestrator({ sagas: [shipmentSaga().saga], repository, bus });
    const request = createEnvelope('event', ShipRequested.name, { orderId: 'o-2' }, { correlationId: 'o-2', messageId: 'req-9' });
    await Promise.all([orchestrator.dispatch(request), orchestrator.dispatch(request), orchestrator.dispatch(request)]);
    await orchestrator.idle();
    expect(sent).toHaveLength(1);
    expect(await repository.outboxSize()).toBe(0);
  });
});
