/**
 * The orchestrator on real PostgreSQL through the Prisma repository (group commit on, as by default):
 * several orchestrators, each with its own repository and pool, as separate processes would be.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { InventoryReserved, OrderCreated, OrderSaga, PaymentProcessed, ShippingFailed } from '../../examples/order-saga.ts';
import { z } from 'zod';
import { defineEvent, defineSaga, InProcessBus, SagaOrchestrator, type Envelope } from '../../src/index.ts';
import { createEnvelope } from '../../src/messages/envelope.ts';
import {
  pgPoolClient,
  PrismaSagaRepository,
  type PrismaRepositoryOptions,
  type SagaflowPrismaClient,
} from '../../src/prisma/index.ts';
import * as SQL from '../../src/prisma/sql.ts';
import { CounterSaga, expectEveryIncrementAppliedOnce, Incremented, Started } from '../helpers/counter-saga.ts';
import { crashingRepository, SimulatedCrash } from '../helpers/faulty-repository.ts';
import { insertOf, makeInstance } from '../helpers/records.ts';
import { useTestDatabase } from '../helpers/postgres.ts';

const db = useTestDatabase();
let checker: PrismaSagaRepository | undefined;

function repository(options: PrismaRepositoryOptions = {}): Promise<PrismaSagaRepository> {
  return db.repository({ poolSize: 8, ...options });
}

/** Read through a repository without a cache: a cache only knows its own process's writes. */
async function expectEveryEventAppliedOnce(correlationId: string, increments: number[]) {
  checker ??= await repository({ cache: false });
  await expectEveryIncrementAppliedOnce(checker, correlationId, increments);
}

for (const variant of [{ via: 'adapter' }, { via: 'client', cache: false }, { via: 'pg', cache: false }] as const) {
  const name = `via ${variant.via}${'cache' in variant ? ', no instance cache' : ', with the default instance cache'}`;
  describe(`orchestrators sharing PostgreSQL (${name})`, () => {
    it('applies 48 concurrent events for one instance from two orchestrators exactly once each', async () => {
      const retry = { conflictRetry: { maxAttempts: 200, maxDelayMs: 20 } };
      const a = new SagaOrchestrator({ sagas: [CounterSaga], repository: await repository(variant), ...retry });
      const b = new SagaOrchestrator({ sagas: [CounterSaga], repository: await repository(variant), ...retry });
      const id = `hot-${variant.via}`;
      await a.publish(Started, {}, { correlationId: id });
      const increments = Array.from({ length: 48 }, (_, i) => i + 1);
      await Promise.all(increments.map((by, i) => (i % 2 ? a : b).publish(Incremented, { by }, { correlationId: id })));
      await expectEveryEventAppliedOnce(id, increments);
    });

    it('creates one instance when two orchestrators start the same correlation id at once, and applies the other event to it', async () => {
      const a = new SagaOrchestrator({ sagas: [CounterSaga], repository: await repository(variant) });
      const b = new SagaOrchestrator({ sagas: [CounterSaga], repository: await repository(variant) });
      for (let round = 0; round < 5; round++) {
        const id = `twin-${variant.via}-${round}`;
        const [ra, rb] = await Promise.all([
          a.publish(Started, { by: 5 }, { correlationId: id }),
          b.publish(Started, { by: 7 }, { correlationId: id }),
        ]);
        const outcomes = [ra, rb].map((r) => r.outcomes[0]!);
        const created = outcomes.filter((o) => o.result === 'applied' && o.created);
        expect(created).toHaveLength(1);
        // The other Started met the instance (on a retry, or after it) and was ignored there by `duringAny`.
        expect(outcomes.find((o) => o !== created[0])).toMatchObject({ result: 'ignored', reason: 'ignored', state: 'Counting' });
        const list = await a.repository.list({ sagaName: 'counter', correlationId: id });
        expect(list.items).toHaveLength(1);
        expect(await a.repository.history(list.items[0]!.id)).toHaveLength(1);
      }
    });

    it('applies every event exactly once from 16 concurrent publishers over many instances (group commit under load)', async () => {
      const repo = await repository(variant);
      const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], repository: repo });
      const instances = Array.from({ length: 48 }, (_, i) => `load-${variant.via}-${i}`);
      const increments = [1, 2, 3, 4, 5];
      await Promise.all(
        Array.from({ length: 16 }, async (_, p) => {
          for (let k = p; k < instances.length; k += 16) {
            await orchestrator.publish(Started, {}, { correlationId: instances[k]! });
            for (const by of increments) await orchestrator.publish(Incremented, { by }, { correlationId: instances[k]! });
          }
        }),
      );
      // Events for different instances from different publishers, interleaved: still one write each.
      await Promise.all(instances.map((id, k) => orchestrator.publish(Incremented, { by: 100 + k }, { correlationId: id })));
      for (const [k, id] of instances.entries()) await expectEveryEventAppliedOnce(id, [...increments, 100 + k]);
    });
  });
}

describe('compensation on PostgreSQL', () => {
  it('finishes a compensation on a new orchestrator after a crash between two compensation steps', async () => {
    const sent: string[] = [];
    const services = (orchestrator: SagaOrchestrator) =>
      ['RefundPayment', 'ReleaseInventory'].map((type) => orchestrator.bus.subscribe(type, (e) => void sent.push(type + ':' + JSON.stringify(e.payload))));
    // Process 1 dies right before the write that records the first compensation step as done.
    const crashing = crashingRepository(await repository(), (commit) => commit.kind === 'update' && commit.history.eventType.startsWith('sagaflow.compensation.') && commit.instance.compensation.length === 1);
    const first = new SagaOrchestrator({ sagas: [OrderSaga], repository: crashing });
    services(first);
    const orderId = 'crash-order';
    await first.publish(OrderCreated, { orderId, customerId: 'c', total: 10, items: [{ sku: 'PEN', quantity: 1 }] });
    await first.publish(PaymentProcessed, { orderId, transactionId: 'tx-1', amount: 10 });
    await first.publish(InventoryReserved, { orderId, reservationId: 'res-1' });
    await expect(first.publish(ShippingFailed, { orderId, reason: 'no carrier' })).rejects.toBeInstanceOf(SimulatedCrash);
    expect(crashing.crashed).toBe(true);

    const survivorRepo = await repository();
    const stuck = (await survivorRepo.findByCorrelation('order', orderId))!;
    expect(stuck.status).toBe('compensating');

    const second = new SagaOrchestrator({ sagas: [OrderSaga], repository: survivorRepo });
    services(second);
    expect(await second.recover({ olderThanMs: 0 })).toBe(1);
    const done = (await survivorRepo.findByCorrelation('order', orderId))!;
    expect(done).toMatchObject({ status: 'faulted', state: 'Failed', compensation: [] });
    // LIFO: the release (top of the stack) ran before the crash and again on resume (attempts > 0 means
    // it may have run); the refund ran once, after it.
    expect(sent.at(-1)).toMatch(/^RefundPayment:/);
    expect(sent.filter((s) => s.startsWith('RefundPayment'))).toHaveLength(1);
    const history = await survivorRepo.history(done.id);
    expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: done.version }, (_, i) => i + 1));
  });
});

describe('the default instance cache with two processes', () => {
  it('may answer a plain read from this process\'s last write, but fresh reads, find() and later events see the other process\'s write', async () => {
    const repoA = await repository();
    const repoB = await repository();
    const a = new SagaOrchestrator({ sagas: [CounterSaga], repository: repoA });
    const b = new SagaOrchestrator({ sagas: [CounterSaga], repository: repoB });
    await a.publish(Started, { by: 1 }, { correlationId: 'shared' });
    await b.publish(Incremented, { by: 10 }, { correlationId: 'shared' });

    // A's cache still holds its own write (version 1): that is the documented trade-off.
    expect((await repoA.findByCorrelation('counter', 'shared'))!.version).toBe(1);
    expect((await repoA.findByCorrelation('counter', 'shared', { fresh: true }))!.version).toBe(2);
    expect((await a.find(CounterSaga, 'shared'))!.data.count).toBe(11);

    // An event through A starts from its stale entry, loses the version check, and is retried on fresh data.
    await a.publish(Incremented, { by: 100 }, { correlationId: 'shared' });
    const final = (await b.find(CounterSaga, 'shared'))!;
    expect(final.version).toBe(3);
    expect(final.data).toEqual({ count: 111, seen: [10, 100] });
  });
});

describe('an event that starts instances', () => {
  it('creates a new instance with its insert alone, without reading first', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pool.on('error', () => {}); // the database is dropped under idle connections at the end
    const inner = pgPoolClient(pool);
    const sent: string[] = [];
    const client: SagaflowPrismaClient = {
      $queryRawUnsafe: (sql, ...values) => (sent.push(sql), inner.$queryRawUnsafe(sql, ...values)),
      $executeRawUnsafe: (sql, ...values) => (sent.push(sql), inner.$executeRawUnsafe(sql, ...values)),
    };
    const repo = db.closeLater(new PrismaSagaRepository(client, { cache: { maxInstances: 100 }, onClose: () => pool.end() }));
    await repo.ready();
    const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], repository: repo });
    sent.length = 0;

    const outcome = (await orchestrator.publish(Started, { by: 4 }, { correlationId: 'insert-first' })).outcomes[0]!;
    expect(outcome).toMatchObject({ result: 'applied', created: true, state: 'Counting' });
    expect(sent).toEqual([SQL.INSERT_COMMIT]);
  });

  it('confirms an assumed absence with a read where no write would: a one-shot saga runs and stages its message once', async () => {
    const Pinged = defineEvent('Pinged', z.object({ wait: z.boolean().default(false) }));
    const Ponged = defineEvent('Ponged', z.object({ n: z.number() }));
    let runs = 0;
    const OneShot = defineSaga('one-shot', { data: z.object({}), states: ['Waiting'], removeOnCompletion: true })
      .initially((s) =>
        s
          .when(Pinged, (ctx) => ctx.event.wait)
          .transitionTo('Waiting')
          .when(Pinged)
          .then((ctx) => {
            runs++;
            ctx.publish(Ponged, { n: runs });
          })
          .finalize(),
      )
      .duringAny((s) => s.ignore(Pinged));
    const bus = new InProcessBus();
    const delivered: Envelope[] = [];
    bus.subscribe(Ponged.name, (e) => void delivered.push(e));
    const repo = await repository();
    const orchestrator = new SagaOrchestrator({ sagas: [OneShot], repository: repo, bus });

    const outcome = (await orchestrator.publish(Pinged, {}, { correlationId: 'ping-1' })).outcomes[0]!;
    await orchestrator.idle();
    expect(outcome).toMatchObject({ result: 'applied', created: true, status: 'completed' });
    expect(runs).toBe(1);
    expect(delivered.map((e) => e.payload)).toEqual([{ n: 1 }]);
    expect(await repo.findByCorrelation('one-shot', 'ping-1', { fresh: true })).toBeNull();

    // An instance this process never saw: the read finds it, and the event goes where it belongs.
    const elsewhere = await repository();
    await elsewhere.commit(insertOf(makeInstance({ sagaName: 'one-shot', correlationId: 'ping-2', state: 'Waiting', data: {} })));
    const second = (await orchestrator.publish(Pinged, {}, { correlationId: 'ping-2' })).outcomes[0]!;
    await orchestrator.idle();
    expect(second).toMatchObject({ result: 'ignored', state: 'Waiting' });
    expect(delivered.map((e) => e.payload)).toEqual([{ n: 1 }]);
    expect(await repo.outboxSize()).toBe(0);
  });

  it('applies to an instance another process created, without counting a conflict', async () => {
    const a = new SagaOrchestrator({ sagas: [CounterSaga], repository: await repository() });
    // B never saw the instance; one conflict allowed in all would fail the event if the refused insert counted.
    const b = new SagaOrchestrator({ sagas: [CounterSaga], repository: await repository(), conflictRetry: { maxAttempts: 1 } });
    const started = createEnvelope('event', Started.name, { by: 1 }, { correlationId: 'created-elsewhere' });
    expect((await a.dispatch(started)).outcomes[0]).toMatchObject({ result: 'applied', created: true });

    // Redelivered to another process: the refused insert finds the message in the instance's history.
    // (A read first would have found it in `Counting`, where the saga ignores `Started`.)
    expect((await b.dispatch(started)).outcomes[0]).toMatchObject({ result: 'duplicate' });
    // A second start: the saga ignores it in any state, on the stored instance.
    expect((await b.publish(Started, { by: 9 }, { correlationId: 'created-elsewhere' })).outcomes[0]).toMatchObject({
      result: 'ignored',
      state: 'Counting',
    });
    expect((await b.publish(Incremented, { by: 2 }, { correlationId: 'created-elsewhere' })).outcomes[0]).toMatchObject({
      result: 'applied',
      version: 2,
    });
    const stored = (await a.find(CounterSaga, 'created-elsewhere'))!;
    expect(stored.data).toEqual({ count: 3, seen: [2] });
  });
});
