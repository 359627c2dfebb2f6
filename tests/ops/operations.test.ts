import { beforeAll, describe, expect, it } from 'vitest';
import {
  DeadLetterNotFoundError,
  NotCompensationFailedError,
  NotFoundError,
  OrchestratorRequiredError,
  SagaOperations,
  SagaOrchestrator,
  UnknownEventError,
  UnknownSagaError,
  operatorOrchestrator,
  InProcessBus,
} from '../../src/index.ts';
import type { PrismaSagaRepository } from '../../src/prisma/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';
import { ReserveInventory } from '../../examples/order-saga.ts';
import { bank, OrderSaga, seed, TransferSaga, type Seeded } from './fixtures.ts';

const db = useTestDatabase();
let repository: PrismaSagaRepository;
let seeded: Seeded;

beforeAll(async () => {
  repository = await db.repository({ cache: false });
  seeded = await seed(repository);
});

describe('SagaOperations queries', () => {
  it('lists every known saga, with no instances too, and sagas found only in the store with no states', async () => {
    const Unused = OrderSaga; // known, with instances
    const ops = new SagaOperations({ repository, sagas: [Unused, TransferSaga.validate()] });
    const alone = new SagaOperations({ repository, sagas: [] });
    const overview = await ops.sagas();
    expect(overview.map((s) => s.name)).toEqual(['order', 'transfer']);
    const order = overview.find((s) => s.name === 'order')!;
    expect(order.states).toEqual(['Initial', 'AwaitingPayment', 'AwaitingInventory', 'AwaitingShipment', 'Completed', 'Failed']);
    expect([...order.finalStates].sort()).toEqual(['Completed', 'Failed']);
    expect(order.total).toBe(6);
    expect(order.counts).toContainEqual({ state: 'AwaitingPayment', status: 'active', count: 2 });
    expect((await alone.sagas()).find((s) => s.name === 'transfer')).toMatchObject({ states: [], total: 1 });
  });

  it('filters instances by saga, state, status list, correlation id and staleness, with ISO dates', async () => {
    const ops = new SagaOperations({ repository });
    const failed = await ops.listInstances({ saga: 'order', state: 'Failed' });
    expect(failed.items.map((i) => i.correlationId).sort()).toEqual(['order-2-a', 'order-3-a', 'order-4-a']);
    const broken = await ops.listInstances({ status: ['compensation_failed', 'faulted'] });
    expect(broken.items.map((i) => i.status).sort()).toEqual(['compensation_failed', 'faulted', 'faulted']);
    const one = await ops.listInstances({ correlationId: seeded.waiting });
    expect(one.items).toHaveLength(1);
    expect(one.items[0]).toMatchObject({ sagaName: 'order', state: 'AwaitingPayment', status: 'active', version: 1, completedAt: null, error: null });
    expect(one.items[0]!.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect((await ops.listInstances({ staleForMs: 3_600_000 })).items).toEqual([]);
    expect((await ops.listInstances({ staleForMs: 0 })).items).toHaveLength(7);
  });

  it('pages with cursors in both orders without gaps or repeats', async () => {
    const ops = new SagaOperations({ repository });
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await ops.listInstances({ order, limit: 3, ...(cursor && { cursor }) });
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(new Set(seen).size).toBe(7);
      const times = (await ops.listInstances({ order, limit: 7 })).items.map((i) => i.id);
      expect(seen).toEqual(times);
    }
  });

  it('shows an instance with data, compensation stack, error and history, by id or by correlation id', async () => {
    const ops = new SagaOperations({ repository });
    const detail = await ops.findInstance(seeded.transfer);
    expect(detail.instance).toMatchObject({
      sagaName: 'transfer',
      state: 'Cancelled',
      status: 'compensation_failed',
      data: { amount: 30 },
      compensation: [{ name: 'undebit', args: { amount: 30 }, attempts: 1 }],
      error: { code: 'SAGA_COMPENSATION_FAILED', step: 'undebit' },
    });
    expect(detail.history.map((h) => h.sequence)).toEqual(detail.history.map((_, i) => i + 1));
    expect(detail.history[0]).toMatchObject({ eventType: 'TransferStarted', stateBefore: null, stateAfter: 'Debited', sent: [] });
    expect(detail.history.at(-1)).toMatchObject({ eventType: 'sagaflow.compensation.failed' });
    expect((await ops.instance(detail.instance.id)).instance.correlationId).toBe(seeded.transfer);
    expect((await ops.findInstance(seeded.transfer, 'transfer')).instance.id).toBe(detail.instance.id);

    const order = await ops.findInstance(seeded.waiting, 'order');
    expect(order.history[0]!.sent).toEqual([{ messageId: expect.any(String), type: 'ProcessPayment', kind: 'send' }]);
  });

  it('says which instance it could not find', async () => {
    const ops = new SagaOperations({ repository });
    await expect(ops.instance('0190d3c4-0000-7000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    await expect(ops.findInstance('nobody')).rejects.toThrow(/no saga instance 'nobody'/);
    await expect(ops.findInstance(seeded.waiting, 'transfer')).rejects.toThrow(/saga 'transfer' has no instance/);
  });

  it('draws diagrams of known sagas only', () => {
    const ops = new SagaOperations({ repository, sagas: [OrderSaga] });
    expect(ops.diagram('order', 'mermaid', 'AwaitingPayment')).toContain('class AwaitingPayment current');
    expect(ops.diagram('order', 'dot')).toContain('"AwaitingPayment" -> "AwaitingInventory" [label="PaymentProcessed"]');
    const config = JSON.parse(ops.diagram('order', 'json')) as { id: string; initial: string; states: Record<string, { type?: string }> };
    expect(config).toMatchObject({ id: 'order', initial: 'Initial' });
    expect(config.states.Completed).toEqual({ type: 'final' });
    expect(() => ops.diagram('nope', 'dot')).toThrow(UnknownSagaError);
    expect(() => ops.diagram('nope', 'dot')).toThrow(/registered: order/);
  });
});

describe('SagaOperations actions', () => {
  it('lists and shows dead letters, filtered by reason', async () => {
    const ops = new SagaOperations({ repository });
    const unknown = await ops.deadLetters({ reason: 'unknown-event' });
    expect(unknown.items.map((d) => d.id)).toEqual([seeded.unknownLetter]);
    expect(unknown.items[0]).toMatchObject({ messageType: 'Nobody.Handles.This', replays: 0, errorCode: 'SAGA_UNKNOWN_EVENT' });
    expect((await ops.deadLetter(seeded.lateLetter)).messageType).toBe('PaymentProcessed');
    await expect(ops.deadLetter('0190d3c4-0000-7000-8000-000000000000')).rejects.toBeInstanceOf(DeadLetterNotFoundError);
  });

  it('replays in process through an orchestrator: a failure keeps the letter and counts the replay', async () => {
    const orchestrator = operatorOrchestrator({ sagas: [OrderSaga, TransferSaga], repository });
    const ops = new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga], orchestrator });
    try {
      await expect(ops.replayDeadLetter(seeded.unknownLetter)).rejects.toBeInstanceOf(UnknownEventError);
      expect((await ops.deadLetter(seeded.unknownLetter)).replays).toBe(1);
    } finally {
      await orchestrator.close();
    }
  });

  it('replays without an orchestrator by queueing the envelope for the relays, which deliver it', async () => {
    const ops = new SagaOperations({ repository });
    const before = await repository.outboxSize();
    const result = await ops.replayDeadLetter(seeded.lateLetter);
    expect(result).toMatchObject({ outcome: 'queued', type: 'PaymentProcessed' });
    expect(await repository.outboxSize()).toBe(before + 1);
    await expect(ops.deadLetter(seeded.lateLetter)).rejects.toBeInstanceOf(DeadLetterNotFoundError);

    // A worker's relay picks it up and its orchestrator applies it.
    const bus = new InProcessBus();
    const worker = new SagaOrchestrator({ sagas: [OrderSaga], repository, bus, onError: () => {} });
    try {
      await worker.relay!.runOnce();
      await bus.idle();
      expect((await worker.find(OrderSaga, seeded.late))?.state).toBe('AwaitingInventory');
    } finally {
      await worker.close();
    }
  });

  it('leaves the messages of an in-process replay in the outbox for the workers', async () => {
    const ops0 = new SagaOperations({ repository });
    const more = await seed(repository, 'b');
    const orchestrator = operatorOrchestrator({ sagas: [OrderSaga, TransferSaga], repository });
    const ops = new SagaOperations({ repository, orchestrator });
    try {
      const before = await repository.outboxSize();
      const result = await ops.replayDeadLetter(more.lateLetter);
      expect(result.outcome).toBe('dispatched');
      expect(JSON.stringify(result)).toContain('"result":"applied"');
      await orchestrator.close();
      const claimed = await repository.claimOutbox({ limit: 100, leaseMs: 1 });
      expect(claimed.map((m) => m.envelope.type)).toContain(ReserveInventory.name);
      expect(await repository.outboxSize()).toBeGreaterThanOrEqual(before);
      await expect(ops0.deadLetter(more.lateLetter)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
    } finally {
      await orchestrator.close();
    }
  });

  it('discards a dead letter once', async () => {
    const ops = new SagaOperations({ repository });
    const letters = await ops.deadLetters({ reason: 'unknown-event' });
    const id = letters.items[0]!.id;
    expect(await ops.discardDeadLetter(id)).toEqual({ discarded: true });
    await expect(ops.discardDeadLetter(id)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
  });

  it('retries a failed compensation only in compensation_failed, and only with an orchestrator', async () => {
    const transfer = (await new SagaOperations({ repository }).findInstance(seeded.transfer)).instance;
    const waiting = (await new SagaOperations({ repository }).findInstance(seeded.waiting)).instance;
    await expect(new SagaOperations({ repository }).retryCompensation(transfer.id)).rejects.toBeInstanceOf(OrchestratorRequiredError);
    const orchestrator = operatorOrchestrator({ sagas: [OrderSaga, TransferSaga], repository });
    const ops = new SagaOperations({ repository, orchestrator });
    try {
      await expect(ops.retryCompensation(waiting.id)).rejects.toBeInstanceOf(NotCompensationFailedError);
      const again = await ops.retryCompensation(transfer.id);
      expect(again).toMatchObject({ steps: 0, error: { code: 'SAGA_COMPENSATION_FAILED' } });
      bank.offline = false;
      const done = await ops.retryCompensation(transfer.id);
      expect(done).toMatchObject({ steps: 1, error: null, instance: { state: 'Cancelled', status: 'faulted' } });
    } finally {
      bank.offline = true;
      await orchestrator.close();
    }
  });
});
