import { describe, expect, it } from 'vitest';
import {
  FakeClock,
  InMemorySagaRepository,
  InProcessBus,
  OutboxRelay,
  SagaOrchestrator,
  type Envelope,
  type SagaCommit,
  type SagaRepository,
} from '../../../src/index.ts';
import { delegate, SimulatedCrash } from '../../helpers/faulty-repository.ts';
import { Cancelled, Ship, ShipRequested, shipmentSaga, Unship } from './shipment-saga.ts';

const LEASE = 10_000;

function setup(repository: SagaRepository = new InMemorySagaRepository(), clock = new FakeClock()) {
  const bus = new InProcessBus();
  const received: Envelope[] = [];
  bus.subscribe('Ship', (e) => void received.push(e));
  bus.subscribe('Unship', (e) => void received.push(e));
  const { saga } = shipmentSaga();
  const orchestrator = new SagaOrchestrator({
    sagas: [saga],
    repository,
    bus,
    clock,
    outbox: { leaseMs: LEASE },
    relay: { leaseMs: LEASE },
    onError: () => {},
  });
  return { orchestrator, bus, received, repository, clock };
}

describe('the transactional outbox', () => {
  it('commits outgoing messages with the instance, delivers them after the commit and then marks them sent', async () => {
    const repository = new InMemorySagaRepository();
    const stagedWith: number[] = [];
    const watching: SagaRepository = {
      ...delegate(repository),
      commit: async (commit: SagaCommit) => {
        stagedWith.push(commit.outbox?.length ?? 0);
        await repository.commit(commit);
      },
    };
    const { orchestrator, received } = setup(watching);
    await orchestrator.publish(ShipRequested, { orderId: 'o-1' }, { correlationId: 'o-1', messageId: 'm-1' });
    expect(stagedWith).toEqual([1]);
    await orchestrator.idle();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ type: 'Ship', correlationId: 'o-1', headers: { causationId: 'm-1' } });
    expect(await repository.outboxSize()).toBe(0);
  });

  it('sends nothing for a transition that did not commit (no ghost messages)', async () => {
    const repository = new InMemorySagaRepository();
    let failNext = true;
    const flaky: SagaRepository = {
      ...delegate(repository),
      commit: async (commit: SagaCommit) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        await repository.commit(commit);
      },
    };
    const { orchestrator, received } = setup(flaky);
    await expect(orchestrator.publish(ShipRequested, { orderId: 'o-2' }, { correlationId: 'o-2' })).rejects.toThrow('disk full');
    await orchestrator.idle();
    expect(received).toEqual([]);
    expect(await repository.outboxSize()).toBe(0);
    expect(await repository.findByCorrelation('shipment', 'o-2')).toBeNull();
  });

  it('keeps a message whose delivery failed, and the relay delivers it once the lease ran out', async () => {
    const clock = new FakeClock();
    const { orchestrator, bus, repository } = setup(new InMemorySagaRepository(), clock);
    let down = true;
    const delivered: Envelope[] = [];
    bus.subscribe('Ship', (e) => {
      if (down) throw new Error('broker unreachable');
      delivered.push(e);
    });
    await orchestrator.publish(ShipRequested, { orderId: 'o-3' }, { correlationId: 'o-3' });
    await orchestrator.idle();
    expect(await repository.outboxSize()).toBe(1);

    const relay = orchestrator.relay!;
    expect(await relay.runOnce()).toEqual({ claimed: 0, sent: 0, failed: 0 }); // still leased to the committer
    clock.advance(LEASE);
    down = false;
    expect(await relay.runOnce()).toEqual({ claimed: 1, sent: 1, failed: 0 });
    expect(delivered.map((e) => e.type)).toEqual(['Ship']);
    expect(await repository.outboxSize()).toBe(0);
  });

  it('loses nothing when the process dies between the commit and the delivery', async () => {
    const store = new InMemorySagaRepository();
    const clock = new FakeClock();
    // The "process" commits, then dies before it can publish: commit() never returns to it.
    const dying: SagaRepository = {
      ...delegate(store),
      commit: async (commit: SagaCommit) => {
        await store.commit(commit);
        throw new SimulatedCrash('killed after commit');
      },
    };
    const first = setup(dying, clock);
    await expect(first.orchestrator.publish(ShipRequested, { orderId: 'o-4' }, { correlationId: 'o-4' })).rejects.toThrow(SimulatedCrash);
    await first.orchestrator.idle();
    expect(first.received).toEqual([]);
    expect(await store.outboxSize()).toBe(1);

    // A new process on the same store: its relay picks the message up after the lease.
    const second = setup(store, clock);
    clock.advance(LEASE + 1);
    const pass = await second.orchestrator.relay!.runOnce();
    expect(pass).toMatchObject({ sent: 1 });
    expect(second.received.map((e) => [e.type, e.correlationId])).toEqual([['Ship', 'o-4']]);
    expect(await store.outboxSize()).toBe(0);
  });

  it('stages compensation messages with the write that pops the step', async () => {
    const { orchestrator, received, repository } = setup();
    await orchestrator.publish(ShipRequested, { orderId: 'o-5' }, { correlationId: 'o-5' });
    await orchestrator.publish(Cancelled, { orderId: 'o-5' }, { correlationId: 'o-5' });
    await orchestrator.idle();
    expect(received.map((e) => e.type)).toEqual(['Ship', 'Unship']);
    expect(received[1]!.payload).toEqual({ orderId: 'o-5' });
    expect(await repository.outboxSize()).toBe(0);
    expect(Unship.name).toBe('Unship');
  });

  it('stages nothing for a type nobody subscribes to on the in-process bus (it would be dropped anyway)', async () => {
    const repository = new InMemorySagaRepository();
    const staged: number[] = [];
    const watching: SagaRepository = {
      ...delegate(repository),
      commit: async (commit: SagaCommit) => {
        staged.push(commit.outbox?.length ?? 0);
        await repository.commit(commit);
      },
    };
    const orchestrator = new SagaOrchestrator({ sagas: [shipmentSaga().saga], repository: watching, bus: new InProcessBus() });
    await orchestrator.publish(ShipRequested, { orderId: 'o-7' }, { correlationId: 'o-7' });
    expect(staged).toEqual([0]);
    expect(await repository.outboxSize()).toBe(0);
  });

  it('with the outbox off, publishes after the commit and stores nothing', async () => {
    const repository = new InMemorySagaRepository();
    const bus = new InProcessBus();
    const received: string[] = [];
    bus.subscribe(Ship.name, (e) => void received.push(e.type));
    const orchestrator = new SagaOrchestrator({ sagas: [shipmentSaga().saga], repository, bus, outbox: false });
    expect(orchestrator.relay).toBeUndefined();
    await orchestrator.publish(ShipRequested, { orderId: 'o-6' }, { correlationId: 'o-6' });
    await orchestrator.idle();
    expect(received).toEqual(['Ship']);
    expect(await repository.outboxSize()).toBe(0);
  });

  it('runs a relay that polls until stopped, and two relays never deliver one message twice at once', async () => {
    const repository = new InMemorySagaRepository();
    const now = Date.now();
    await repository.stageOutbox(
      Array.from({ length: 30 }, (_, i) => ({
        id: `0190d000-0000-7000-8000-${String(i).padStart(12, '0')}`,
        envelope: { kind: 'command' as const, type: 'Ship', messageId: `s-${i}`, payload: { orderId: `o-${i}` }, timestamp: new Date(now).toISOString(), headers: {} },
        availableAt: new Date(now - 1),
      })),
    );
    const bus = new InProcessBus();
    const seen: string[] = [];
    bus.subscribe('Ship', async (e) => {
      seen.push(e.messageId);
      await new Promise((r) => setTimeout(r, 1));
    });
    const relays = [0, 1].map(() => new OutboxRelay({ repository, bus, batchSize: 7, pollIntervalMs: 5, leaseMs: 60_000 }));
    for (const r of relays) r.start();
    for (let i = 0; i < 200 && (await repository.outboxSize()) > 0; i++) await new Promise((r) => setTimeout(r, 5));
    await Promise.all(relays.map((r) => r.stop()));
    expect(await repository.outboxSize()).toBe(0);
    expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `s-${i}`).sort());
    expect(relays.every((r) => !r.running)).toBe(true);
  });
});
