/**
 * Joins on real PostgreSQL: the progress lives in `sagaflow_instances.joins`, so it survives a restart
 * (a new repository and orchestrator); the composite is staged in the outbox by the write that completed
 * the join, so a crash right after that write cannot lose it; and constituents arriving at once through
 * two processes raise the composite exactly once.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock, InProcessBus, SagaOrchestrator, type Envelope } from '../../src/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';
import { OrderPlaced, PaymentCaptured, ReadyToShip, ShippingSaga, StockReserved } from '../runtime/joins-saga.ts';

const db = useTestDatabase();
let sql: pg.Client;
beforeAll(async () => {
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
});

/** One process: its own repository (and pool), bus and orchestrator; the test drives its relay. */
async function startProcess(clock: FakeClock) {
  const repository = await db.repository({ poolSize: 4 });
  const bus = new InProcessBus();
  const composites: Envelope[] = [];
  bus.subscribe(ReadyToShip.name, (e) => void composites.push(e));
  const orchestrator = new SagaOrchestrator({ sagas: [ShippingSaga], repository, bus, clock, onError: () => {} });
  return { repository, orchestrator, composites };
}

type Process = Awaited<ReturnType<typeof startProcess>>;

/** Runs every process's relay until nothing is due. */
async function drain(processes: readonly Process[]): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const passes = await Promise.all(processes.map((p) => p.orchestrator.relay!.runOnce()));
    await Promise.all(processes.map((p) => p.orchestrator.idle()));
    if (passes.every((p) => p.claimed === 0)) return;
  }
  throw new Error('the outbox never drained');
}

const storedJoins = async (correlationId: string) =>
  (await sql.query('SELECT joins FROM sagaflow_instances WHERE saga_name = $1 AND correlation_id = $2', ['shipping', correlationId])).rows[0]
    ?.joins as unknown;

describe('joins on PostgreSQL', () => {
  it('keeps a join under way across a restart, and a crash after the completing write cannot lose the composite', async () => {
    const clock = new FakeClock(Date.UTC(2032, 0, 1));
    const first = await startProcess(clock);
    await first.orchestrator.publish(OrderPlaced, { orderId: 'r-1' }, { correlationId: 'r-1' });
    await first.orchestrator.publish(StockReserved, { orderId: 'r-1', reservationId: 'res-1' }, { correlationId: 'r-1' });
    expect(await storedJoins('r-1')).toEqual({ ReadyToShip: ['StockReserved'] });
    await first.orchestrator.close();
    await first.repository.close();

    // "Restart": a new repository and orchestrator read the progress from the row.
    const second = await startProcess(clock);
    expect((await second.orchestrator.find(ShippingSaga, 'r-1'))!.joins).toEqual({ ReadyToShip: ['StockReserved'] });
    await second.orchestrator.publish(PaymentCaptured, { orderId: 'r-1', transactionId: 'tx-1' }, { correlationId: 'r-1' });
    // The join is cleared and the composite staged in the same write; the process "crashes" before its relay runs.
    expect(await storedJoins('r-1')).toBeNull();
    const staged = await sql.query(`SELECT envelope->>'type' AS type, envelope->'headers' AS headers FROM sagaflow_outbox`);
    expect(staged.rows).toEqual([
      { type: 'ReadyToShip', headers: expect.objectContaining({ 'sagaflow-schedule': 'join:ReadyToShip', 'sagaflow-saga': 'shipping' }) },
    ]);
    await second.orchestrator.close();
    await second.repository.close();

    const third = await startProcess(clock);
    await drain([third]);
    const ready = await third.orchestrator.find(ShippingSaga, 'r-1');
    expect(ready).toMatchObject({ state: 'Ready', joins: undefined, schedules: undefined });
    expect(ready!.data.readyWith).toBe('tx-1');
    expect(third.composites.map((e) => e.payload)).toEqual([{ orderId: 'r-1', transactionId: 'tx-1' }]);
    expect((await third.repository.history(ready!.id)).map((h) => h.eventType)).toEqual([
      'OrderPlaced',
      'StockReserved',
      'PaymentCaptured',
      'ReadyToShip',
    ]);
    await third.orchestrator.close();
  });

  it('raises the composite exactly once when the constituents arrive at once through two processes', async () => {
    const clock = new FakeClock(Date.UTC(2033, 0, 1));
    const [a, b] = await Promise.all([startProcess(clock), startProcess(clock)]);
    const orders = Array.from({ length: 24 }, (_, k) => `c-${k}`);
    await Promise.all(orders.map((id, k) => (k % 2 ? a! : b!).orchestrator.publish(OrderPlaced, { orderId: id }, { correlationId: id })));
    await Promise.all(
      orders.flatMap((id) => [
        a!.orchestrator.publish(PaymentCaptured, { orderId: id, transactionId: `tx-${id}` }, { correlationId: id }),
        b!.orchestrator.publish(StockReserved, { orderId: id, reservationId: `res-${id}` }, { correlationId: id }),
      ]),
    );
    await drain([a!, b!]);

    const delivered = [...a!.composites, ...b!.composites].map((e) => e.correlationId).sort();
    expect(delivered).toEqual([...orders].sort());
    for (const id of orders) {
      const instance = await a!.orchestrator.find(ShippingSaga, id);
      expect(instance, id).toMatchObject({ state: 'Ready', joins: undefined, version: 4 });
      const types = (await a!.repository.history(instance!.id)).map((h) => h.eventType);
      expect(types.filter((t) => t === 'ReadyToShip'), id).toHaveLength(1);
    }
    const rows = await sql.query(`SELECT count(*)::int AS n FROM sagaflow_instances WHERE saga_name = 'shipping' AND joins IS NOT NULL`);
    expect(rows.rows[0].n).toBe(0);
    expect(await a!.repository.outboxSize()).toBe(0);
    await Promise.all([a!.orchestrator.close(), b!.orchestrator.close()]);
  });
});
