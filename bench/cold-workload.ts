/**
 * @module bench/cold-workload
 *
 * The cold workload: many live account instances created first, then `Deposited` events to existing
 * instances chosen uniformly at random. With 1e5 instances and the factory's default cache of 1e4, about
 * nine events in ten find nothing in the process's cache and read the database, as they would across
 * many instances and several workers. The instances are written straight into the tables by one SQL
 * statement each (rows exactly as `AccountOpened` leaves them, with their first history row), so setting
 * up 1e5 takes a second instead of a minute of events.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { SagaOrchestrator } from '../src/index.ts';
import { Deposited, deposit } from './account-saga.ts';

/** Creates accounts 0 … count-1 in the (migrated, empty) database at `url`, then ANALYZE. */
export async function prefillAccounts(url: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO sagaflow_instances (id, saga_name, correlation_id, state, data, data_version, version, status,
         compensation, error, schedules, joins, created_at, updated_at, completed_at)
       SELECT gen_random_uuid(), 'account', 'acct-' || lpad(n::text, 8, '0'), 'Open',
         jsonb_build_object('accountId', 'acct-' || lpad(n::text, 8, '0'), 'owner', 'customer-' || (n % 9973),
           'currency', 'EUR', 'balance', 0, 'deposits', 0, 'tags', jsonb_build_array('retail', 'standard')),
         1, 1, 'active', '[]', NULL, '[]', NULL, now(), now(), NULL
       FROM generate_series(0, $1::int - 1) AS n`,
      [count],
    );
    await client.query(
      `INSERT INTO sagaflow_history (instance_id, sequence, message_id, event_type, state_before, state_after, payload, at, sent)
       SELECT id, 1, gen_random_uuid()::text, 'AccountOpened', NULL, 'Open',
         jsonb_build_object('accountId', correlation_id, 'owner', data->'owner', 'currency', 'EUR'), created_at, NULL
       FROM sagaflow_instances WHERE saga_name = 'account'`,
    );
    await client.query('ANALYZE sagaflow_instances');
    await client.query('ANALYZE sagaflow_history');
  } finally {
    await client.end();
  }
}

/** A small, fast, seeded generator (mulberry32): the same run picks the same instances. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One event to a uniformly random existing account; throws unless it applied. */
export async function depositToRandom(orchestrator: SagaOrchestrator, accounts: number, next: () => number): Promise<void> {
  const n = Math.floor(next() * accounts);
  const outcome = (await orchestrator.publish(Deposited, deposit(n))).outcomes[0];
  if (outcome?.result !== 'applied') throw new Error(`Deposited to account ${n} was not applied: ${JSON.stringify(outcome)}`);
}

export interface ClosedLoopResult {
  readonly events: number;
  readonly ms: number;
  readonly latencies: number[];
}

/**
 * `publishers` closed-loop publishers, each sending its next event when its last one finished, for
 * `ms` milliseconds. Every publish is timed (from its send).
 */
export async function closedLoop(publishers: number, ms: number, op: (publisher: number) => Promise<void>): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: publishers }, async (_, p) => {
      while (performance.now() < end) {
        const s = performance.now();
        await op(p);
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { events: latencies.length, ms: performance.now() - start, latencies };
}
