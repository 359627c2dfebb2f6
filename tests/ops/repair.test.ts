/**
 * An operator's repairs through `SagaOperations.repair`: each needs a reason, is version-checked, and
 * leaves an audit row (who, why, before, after) in the instance's history; bulk actions by filter with
 * a dry run and a confirmed count; the audit trail across instances. On the in-memory store (the
 * PostgreSQL race is tests/ops/repair-race-postgres.test.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BulkCountMismatchError,
  ConcurrencyError,
  InMemorySagaRepository,
  InstanceDataError,
  ReasonRequiredError,
  RepairRefusedError,
  SagaOperations,
  UndeclaredStateError,
  UnknownEventError,
  ValidationError,
  operatorOrchestrator,
  type SagaRepository,
} from '../../src/index.ts';
import { PaymentProcessed } from '../../examples/order-saga.ts';
import { bank, OrderSaga, seed, TransferSaga, type Seeded } from './fixtures.ts';

const actor = { principal: 'cli:ana', reason: 'customer called' };
let repository: SagaRepository;
let seeded: Seeded;
let ops: SagaOperations;

beforeEach(async () => {
  bank.offline = true;
  repository = new InMemorySagaRepository();
  seeded = await seed(repository);
  const orchestrator = operatorOrchestrator({ sagas: [OrderSaga, TransferSaga], repository, onError: () => {} });
  ops = new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga], orchestrator });
});

const byCorrelation = async (saga: string, id: string) => (await repository.findByCorrelation(saga, id, { fresh: true }))!;
const lastRow = async (id: string) => (await repository.history(id)).at(-1)!;

describe('transition', () => {
  it('moves an instance to a declared state with its data patched, in one write recorded with who, why, before and after', async () => {
    const before = await byCorrelation('order', seeded.waiting);
    const result = await ops.repair.transition(before.id, { state: 'AwaitingShipment', patch: { inventoryReservationId: 'r-9' }, expectedVersion: before.version }, actor);
    const after = await byCorrelation('order', seeded.waiting);
    expect(after).toMatchObject({ state: 'AwaitingShipment', status: 'active', version: before.version + 1 });
    expect((after.data as { inventoryReservationId: string }).inventoryReservationId).toBe('r-9');
    expect(result.instance).toMatchObject({ state: 'AwaitingShipment' });
    const row = await lastRow(before.id);
    expect(row).toMatchObject({ eventType: 'sagaflow.operator.transition', sequence: after.version, stateBefore: 'AwaitingPayment', stateAfter: 'AwaitingShipment' });
    expect(row.payload).toMatchObject({
      action: 'transition',
      principal: 'cli:ana',
      reason: 'customer called',
      before: { state: 'AwaitingPayment', version: before.version },
      after: { state: 'AwaitingShipment', version: after.version, data: { inventoryReservationId: 'r-9' } },
      details: { state: 'AwaitingShipment', patch: { inventoryReservationId: 'r-9' } },
    });
  });

  it('ends an instance completed when the state is final', async () => {
    const before = await byCorrelation('order', seeded.waiting);
    await ops.repair.transition(before.id, { state: 'Completed' }, actor);
    expect(await byCorrelation('order', seeded.waiting)).toMatchObject({ state: 'Completed', status: 'completed' });
  });

  it('refuses an undeclared state, data the schema refuses, a missing reason and a version the operator did not see; nothing is written', async () => {
    const before = await byCorrelation('order', seeded.waiting);
    await expect(ops.repair.transition(before.id, { state: 'Shipped' }, actor)).rejects.toBeInstanceOf(UndeclaredStateError);
    await expect(ops.repair.transition(before.id, { state: 'Initial' }, actor)).rejects.toBeInstanceOf(UndeclaredStateError);
    await expect(ops.repair.transition(before.id, { state: 'Failed', patch: { total: 'lots' } }, actor)).rejects.toBeInstanceOf(InstanceDataError);
    await expect(ops.repair.transition(before.id, { state: 'Failed' }, { principal: 'x', reason: '  ' })).rejects.toBeInstanceOf(ReasonRequiredError);
    await expect(ops.repair.transition(before.id, { state: 'Failed' }, { principal: 'x', reason: 'y'.repeat(1001) })).rejects.toBeInstanceOf(ReasonRequiredError);
    await expect(ops.repair.transition(before.id, { state: 'Failed', expectedVersion: before.version - 1 }, actor)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(await byCorrelation('order', seeded.waiting)).toEqual(before);
  });
});

describe('send', () => {
  it("delivers a validated event to the one instance through the saga's own handler, then records it", async () => {
    const before = await byCorrelation('order', seeded.waiting);
    const result = await ops.repair.send(
      before.id,
      { type: PaymentProcessed.name, payload: { orderId: seeded.waiting, transactionId: 'tx-by-hand', amount: 12 } },
      actor,
    );
    const after = await byCorrelation('order', seeded.waiting);
    // The saga's handler ran: its state, its data, its compensation step.
    expect(after).toMatchObject({ state: 'AwaitingInventory', status: 'active' });
    expect(after.compensation.map((c) => c.name)).toEqual(['refundPayment']);
    expect(result.outcome).toMatchObject({ result: 'applied', state: 'AwaitingInventory' });
    const rows = await repository.history(before.id);
    expect(rows.slice(-2).map((r) => r.eventType)).toEqual(['PaymentProcessed', 'sagaflow.operator.send']);
    expect(rows.at(-1)!.payload).toMatchObject({ action: 'send', before: { state: 'AwaitingPayment' }, after: { state: 'AwaitingInventory' }, details: { type: 'PaymentProcessed' } });
  });

  it('refuses a payload its schema refuses and an event the saga does not have, before anything is sent', async () => {
    const before = await byCorrelation('order', seeded.waiting);
    await expect(ops.repair.send(before.id, { type: PaymentProcessed.name, payload: { orderId: 1 } }, actor)).rejects.toBeInstanceOf(ValidationError);
    await expect(ops.repair.send(before.id, { type: 'Nope', payload: {} }, actor)).rejects.toBeInstanceOf(UnknownEventError);
    expect(await byCorrelation('order', seeded.waiting)).toEqual(before);
  });
});

describe('cancel', () => {
  it('compensates now and ends faulted, recorded; the instance error says who cancelled and why', async () => {
    const waiting = await byCorrelation('order', seeded.waiting);
    await ops.repair.send(waiting.id, { type: PaymentProcessed.name, payload: { orderId: seeded.waiting, transactionId: 'tx-1', amount: 12 } }, actor);
    const result = await ops.repair.cancel(waiting.id, {}, { principal: 'ops:bo', reason: 'fraud suspected' });
    expect(result.steps).toBe(1);
    const after = await byCorrelation('order', seeded.waiting);
    expect(after).toMatchObject({ state: 'AwaitingInventory', status: 'faulted', compensation: [] });
    expect(after.completedAt).not.toBeNull();
    expect(after.error).toMatchObject({ cancelled: true, message: 'cancelled by ops:bo: fraud suspected' });
    const types = (await repository.history(waiting.id)).map((r) => r.eventType);
    expect(types.slice(-3)).toEqual(['sagaflow.operator.cancel', 'sagaflow.compensation.retry', 'sagaflow.compensation.step']);
  });

  it('with nothing to compensate, ends faulted at once; a finished instance is refused', async () => {
    const waiting = await byCorrelation('order', seeded.waiting);
    await ops.repair.cancel(waiting.id, { expectedVersion: waiting.version }, actor);
    expect(await byCorrelation('order', seeded.waiting)).toMatchObject({ status: 'faulted', version: waiting.version + 1 });
    await expect(ops.repair.cancel(waiting.id, {}, actor)).rejects.toBeInstanceOf(RepairRefusedError);
  });

  it('a cancel whose compensation step fails stays marked: the retry that succeeds ends it faulted in a non-final state', async () => {
    const transfer = await byCorrelation('transfer', seeded.transfer);
    expect(transfer.status).toBe('compensation_failed');
    // The seed's transfer is in the final state Cancelled; move it back to Debited to cancel a live one.
    await ops.repair.transition(transfer.id, { state: 'Debited' }, actor);
    const cancelled = await ops.repair.cancel(transfer.id, {}, actor);
    expect(cancelled.error).toMatchObject({ code: 'SAGA_COMPENSATION_FAILED' });
    expect(await byCorrelation('transfer', seeded.transfer)).toMatchObject({ status: 'compensation_failed', error: { cancelled: true } });
    bank.offline = false;
    await ops.repair.retryCompensation(transfer.id, actor);
    expect(await byCorrelation('transfer', seeded.transfer)).toMatchObject({ state: 'Debited', status: 'faulted', error: { cancelled: true } });
    expect((await lastRow(transfer.id)).eventType).toBe('sagaflow.operator.retry-compensation');
  });
});

describe('dead letters', () => {
  it('a replay and a discard are recorded in the history of the instance the letter names', async () => {
    const late = await byCorrelation('order', seeded.late);
    const letter = (await repository.getDeadLetter(seeded.lateLetter))!;
    expect(letter.instanceId).toBeNull(); // refused before the instance existed: no history holds it
    const replayed = await ops.repair.replayDeadLetter(seeded.lateLetter, actor);
    expect(replayed.audit).toBeNull();
    expect((await byCorrelation('order', seeded.late)).state).toBe('AwaitingInventory');
    // A letter refused by an instance (unhandled in its state) is recorded on that instance.
    const dup = await ops.orchestrator!.receive({ ...letter.envelope as object, messageId: crypto.randomUUID() });
    expect(dup.status).toBe('dead-lettered');
    const id = dup.status === 'dead-lettered' ? dup.deadLetter.id : '';
    const discarded = await ops.repair.discardDeadLetter(id, actor);
    expect(discarded.audit).toMatchObject({ action: 'discard-dead-letter', details: { deadLetter: id } });
    expect((await lastRow(late.id)).eventType).toBe('sagaflow.operator.discard-dead-letter');
  });
});

describe('bulk by filter', () => {
  it('a dry run counts; the real run needs that count and refuses another; each item is reported', async () => {
    const filter = { sagaName: 'order', state: 'AwaitingPayment' };
    const dry = await ops.repair.bulk.instances('cancel', filter, {}, actor);
    expect(dry).toMatchObject({ dryRun: true, count: 2 }); // the waiting order and the late one
    if (!dry.dryRun) throw new Error('expected a dry run');
    expect(dry.sample).toContain((await byCorrelation('order', seeded.waiting)).id);
    await expect(ops.repair.bulk.instances('cancel', filter, { expectCount: 1 }, actor)).rejects.toBeInstanceOf(BulkCountMismatchError);
    expect(await byCorrelation('order', seeded.waiting)).toMatchObject({ status: 'active' });
    const run = await ops.repair.bulk.instances('cancel', filter, { expectCount: 2 }, actor);
    expect(run).toMatchObject({ dryRun: false, count: 2, succeeded: 2, failed: 0 });
    expect(await byCorrelation('order', seeded.waiting)).toMatchObject({ status: 'faulted' });
    expect((await ops.repair.auditTrail()).items.filter((e) => e.action === 'cancel')).toHaveLength(2);
    // Only statuses the action applies to: a retry takes compensation_failed instances alone.
    expect(await ops.repair.bulk.instances('retry-compensation', {}, {}, actor)).toMatchObject({ count: 1 });
  });

  it('replays dead letters by filter, each outcome reported (one fails again, one succeeds)', async () => {
    const dry = await ops.repair.bulk.deadLetters('replay', {}, { dryRun: true }, actor);
    expect(dry).toMatchObject({ dryRun: true, count: 2 });
    const run = await ops.repair.bulk.deadLetters('replay', {}, { expectCount: 2 }, actor);
    if (run.dryRun) throw new Error('expected a real run');
    expect(run).toMatchObject({ succeeded: 1, failed: 1 });
    expect(run.items.find((i) => !i.ok)).toMatchObject({ id: seeded.unknownLetter, error: { code: 'SAGA_UNKNOWN_EVENT' } });
  });
});

describe('the audit trail', () => {
  it('lists operator actions across instances, newest first, in pages', async () => {
    const waiting = await byCorrelation('order', seeded.waiting);
    const transfer = await byCorrelation('transfer', seeded.transfer);
    await ops.repair.transition(waiting.id, { state: 'Failed' }, { principal: 'a', reason: 'one' });
    await ops.repair.transition(transfer.id, { state: 'Debited' }, { principal: 'b', reason: 'two' });
    const all = await ops.repair.auditTrail();
    expect(all.items.map((e) => [e.principal, e.reason, e.sagaName, e.action])).toEqual([
      ['b', 'two', 'transfer', 'transition'],
      ['a', 'one', 'order', 'transition'],
    ]);
    const first = await ops.repair.auditTrail({ limit: 1 });
    const second = await ops.repair.auditTrail({ limit: 1, cursor: first.nextCursor! });
    expect([first.items[0]!.reason, second.items[0]!.reason, second.nextCursor]).toEqual(['two', 'one', null]);
    expect((await ops.repair.auditTrail({ saga: 'order' })).items).toHaveLength(1);
  });
});

describe('a cancelled instance', () => {
  it('handles no event any more, even one its state would: the event is refused, not applied', async () => {
    const waiting = await byCorrelation('order', seeded.waiting);
    await ops.repair.cancel(waiting.id, {}, actor);
    const late = await ops.orchestrator!.receive({ kind: 'event', type: PaymentProcessed.name, messageId: crypto.randomUUID(), correlationId: seeded.waiting, headers: {}, timestamp: new Date().toISOString(), payload: { orderId: seeded.waiting, transactionId: 'tx-late', amount: 12 } });
    expect(late).toMatchObject({ status: 'dead-lettered', deadLetter: { errorCode: 'SAGA_EVENT_UNHANDLED' } });
    expect(await byCorrelation('order', seeded.waiting)).toMatchObject({ state: 'AwaitingPayment', status: 'faulted', version: waiting.version + 1 });
  });
});
