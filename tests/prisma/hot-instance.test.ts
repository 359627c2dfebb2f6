/**
 * A hot instance: 4 real processes each send 256 events for ONE instance at once, with default options.
 * Contention must degrade to queueing (every event applies exactly once), not to `RetriesExhaustedError`
 * and dead letters, and no process may be starved by another.
 */
import { describe, expect, it } from 'vitest';
import { runHotInstance } from '../../bench/hot-instance.ts';
import { useTestDatabase } from '../helpers/postgres.ts';

const PROCESSES = 4;
const EVENTS = 256;

describe('a hot instance on PostgreSQL', () => {
  const db = useTestDatabase();

  it(`applies all ${PROCESSES * EVENTS} events sent at once from ${PROCESSES} processes, each exactly once, none dead-lettered`, async () => {
    const run = await runHotInstance(db.url, { processes: PROCESSES, events: EVENTS, correlationId: 'hot-1' });
    const outcomes = run.reports.map(({ worker, applied, failed, deadLettered }) => ({ worker, applied, failed, deadLettered }));
    expect(outcomes).toEqual(Array.from({ length: PROCESSES }, (_, worker) => ({ worker, applied: EVENTS, failed: {}, deadLettered: 0 })));

    const repository = await db.repository({ cache: false });
    const record = (await repository.findByCorrelation('hot-counter', 'hot-1'))!;
    expect(record.data).toEqual({ count: PROCESSES * EVENTS });
    expect(record.version).toBe(PROCESSES * EVENTS);
    const history = await repository.history(record.id);
    expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: PROCESSES * EVENTS }, (_, i) => i + 1));
    expect(new Set(history.map((h) => h.messageId)).size).toBe(PROCESSES * EVENTS);
    const letters = await repository.listDeadLetters();
    expect(letters.items).toEqual([]);

    // Fairness: waiters queue, so the processes' writes interleave. A starved process (another winning
    // hundreds of writes in a row) would have few of its events in the first half of the history.
    const firstHalf = history.slice(0, (PROCESSES * EVENTS) / 2).map((h) => (h.payload as { worker: number }).worker);
    for (let worker = 0; worker < PROCESSES; worker++) {
      expect(firstHalf.filter((w) => w === worker).length, `worker ${worker}'s writes in the first half`).toBeGreaterThanOrEqual(EVENTS / 4);
    }
  }, 180_000);
});
