/**
 * @module tests/cluster/check
 * What the cluster run must leave in PostgreSQL, read with SQL from the tables themselves:
 * - every order has exactly one instance, in the final state and status its id suffix leads to, with
 *   an empty compensation stack once compensated (a completed order keeps its steps: nothing undid them);
 * - its history is exactly sequences 1..version, no message id twice, and its business events are
 *   exactly the path of its outcome (a duplicate or redelivered message left no row);
 * - its compensation steps are exactly the expected ones, last registered first;
 * - no instance that was not ordered, no dead letter, nothing left in the outbox.
 * Each problem is one line (at most 50 kept) for the failure message.
 */
import type pg from 'pg';
import { COMPENSATION_RETRY, COMPENSATION_STEP } from '../../src/index.ts';
import { FAILS_AT_SHIPPING, FAILS_AT_STOCK } from '../../examples/cluster/order-services.ts';

export type Outcome = 'complete' | 'nostock' | 'noship';

export function outcomeOf(orderId: string): Outcome {
  if (orderId.endsWith(FAILS_AT_STOCK)) return 'nostock';
  if (orderId.endsWith(FAILS_AT_SHIPPING)) return 'noship';
  return 'complete';
}

const EXPECTED: Record<Outcome, { state: string; status: string; path: readonly string[]; steps: readonly string[] }> = {
  complete: {
    state: 'Completed',
    status: 'completed',
    path: ['OrderCreated', 'PaymentProcessed', 'InventoryReserved', 'OrderShipped'],
    steps: [],
  },
  nostock: {
    state: 'Failed',
    status: 'faulted',
    path: ['OrderCreated', 'PaymentProcessed', 'InventoryReservationFailed'],
    steps: ['refundPayment'],
  },
  noship: {
    state: 'Failed',
    status: 'faulted',
    path: ['OrderCreated', 'PaymentProcessed', 'InventoryReserved', 'ShippingFailed'],
    steps: ['releaseInventory', 'refundPayment'],
  },
};

export interface ClusterVerdict {
  readonly problems: readonly string[];
  readonly counts: Record<string, number>;
  readonly observed: {
    readonly instances: number;
    readonly historyRows: number;
    readonly eventsApplied: number;
    readonly compensationSteps: number;
    readonly compensationResumes: number;
    readonly deadLetters: readonly string[];
  };
}

/** Progress while waiting: instances, final ones, outbox rows. */
export async function progress(client: pg.ClientBase): Promise<{ instances: number; final: number; outbox: number }> {
  const { rows } = await client.query<{ instances: number; final: number; outbox: number }>(
    `SELECT (SELECT count(*)::int FROM sagaflow_instances) AS instances,
            (SELECT count(*)::int FROM sagaflow_instances WHERE status IN ('completed', 'faulted')) AS final,
            (SELECT count(*)::int FROM sagaflow_outbox) AS outbox`,
  );
  return rows[0]!;
}

/**
 * @example
 * const verdict = await checkCluster(client, orders);
 * expect(verdict.problems).toEqual([]);
 */
export async function checkCluster(client: pg.ClientBase, orders: ReadonlyMap<string, string>): Promise<ClusterVerdict> {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const problem = (kind: string, line: string) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (problems.length < 50) problems.push(`${kind}: ${line}`);
  };

  const { rows: instances } = await client.query<{ id: string; correlation_id: string; state: string; status: string; version: number; compensation: unknown[] }>(
    `SELECT id, correlation_id, state, status, version, compensation FROM sagaflow_instances WHERE saga_name = 'order'`,
  );
  const { rows: others } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM sagaflow_instances WHERE saga_name <> 'order'`);
  const { rows: history } = await client.query<{ instance_id: string; sequence: number; message_id: string; event_type: string; step: string | null }>(
    `SELECT instance_id, sequence, message_id, event_type, payload->>'step' AS step FROM sagaflow_history ORDER BY instance_id, sequence`,
  );
  const { rows: outbox } = await client.query<{ message_type: string; n: number }>(
    'SELECT message_type, count(*)::int AS n FROM sagaflow_outbox GROUP BY message_type',
  );
  const { rows: letters } = await client.query<{ reason: string; message_type: string | null; correlation_id: string | null; error_message: string | null }>(
    `SELECT reason, envelope->>'type' AS message_type, correlation_id, error_message FROM sagaflow_dead_letters`,
  );

  const byCorrelation = new Map<string, (typeof instances)[number][]>();
  for (const i of instances) byCorrelation.set(i.correlation_id, [...(byCorrelation.get(i.correlation_id) ?? []), i]);
  const historyOf = new Map<string, typeof history>();
  for (const h of history) historyOf.set(h.instance_id, [...(historyOf.get(h.instance_id) ?? []), h]);

  for (const [orderId, createdBy] of orders) {
    const outcome = outcomeOf(orderId);
    const want = EXPECTED[outcome];
    const found = byCorrelation.get(orderId) ?? [];
    if (found.length === 0) {
      problem('lost', `${orderId} (${outcome}): no instance`);
      continue;
    }
    if (found.length > 1) problem('appliedTwice', `${orderId}: ${found.length} instances`);
    const instance = found[0]!;
    if (instance.status !== 'completed' && instance.status !== 'faulted') {
      problem('notFinal', `${orderId} (${outcome}): ${instance.state} [${instance.status}] at version ${instance.version}`);
    } else if (instance.state !== want.state || instance.status !== want.status || (want.status === 'faulted' && instance.compensation.length > 0)) {
      problem('wrongOutcome', `${orderId} (${outcome}): ended ${instance.state} [${instance.status}] with ${instance.compensation.length} step(s) on its stack, expected ${want.state} [${want.status}]`);
    }
    const rows = historyOf.get(instance.id) ?? [];
    if (rows.length !== instance.version || !rows.every((h, k) => h.sequence === k + 1)) {
      problem('historyGap', `${orderId}: version ${instance.version}, history sequences [${rows.map((h) => h.sequence).join(',')}]`);
    }
    if (new Set(rows.map((h) => h.message_id)).size !== rows.length) problem('appliedTwice', `${orderId}: a message id appears twice in its history`);
    if (rows[0] && rows[0].message_id !== createdBy) problem('wrongOutcome', `${orderId}: created by ${rows[0].message_id}, not its OrderCreated ${createdBy}`);
    const path = rows.filter((h) => !h.event_type.startsWith('sagaflow.')).map((h) => h.event_type);
    if (path.join() !== want.path.join()) {
      problem(path.length > new Set(path).size ? 'appliedTwice' : 'wrongOutcome', `${orderId}: applied [${path.join(', ')}], expected [${want.path.join(', ')}]`);
    }
    const steps = rows.filter((h) => h.event_type === COMPENSATION_STEP).map((h) => h.step ?? '?');
    if (steps.join() !== want.steps.join()) {
      const kind = steps.length < want.steps.length ? 'compensationMissing' : steps.length > want.steps.length ? 'appliedTwice' : 'wrongOutcome';
      problem(kind, `${orderId}: compensation steps [${steps.join(', ')}], expected [${want.steps.join(', ')}]`);
    }
  }
  for (const i of instances) if (!orders.has(i.correlation_id)) problem('unexpectedInstance', `'${i.correlation_id}' [${i.status}]`);
  if (others[0]!.n > 0) problem('unexpectedInstance', `${others[0]!.n} instance(s) of another saga`);
  for (const o of outbox) problem('leftInOutbox', `${o.n} × ${o.message_type}`);
  // This workload has no malformed input and every event arrives in a state that handles it (or is a
  // duplicate the inbox drops): a dead letter here means a message was misrouted or raced its saga.
  for (const l of letters) problem('deadLetter', `${l.reason}: ${l.message_type} for ${l.correlation_id}: ${l.error_message}`);

  return {
    problems,
    counts,
    observed: {
      instances: instances.length,
      historyRows: history.length,
      eventsApplied: history.filter((h) => !h.event_type.startsWith('sagaflow.')).length,
      compensationSteps: history.filter((h) => h.event_type === COMPENSATION_STEP).length,
      compensationResumes: history.filter((h) => h.event_type === COMPENSATION_RETRY).length,
      deadLetters: letters.map((l) => `${l.reason} ${l.message_type}`),
    },
  };
}
