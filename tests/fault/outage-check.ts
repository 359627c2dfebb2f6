/**
 * @module tests/fault/outage-check
 *
 * What the outage scenario must leave, checked with SQL on the tables themselves:
 * - every order's saga is final in the state its plan leads to, its stack empty (nothing stuck);
 * - its history is sequences 1..version with no message id twice, and its business events are exactly
 *   its plan's path (no transition applied twice);
 * - its compensation steps ran once each, last registered first;
 * - every command finished as the plan says, at attempt 1: completed, or — only a refused shipment —
 *   failed with the handler's own error; none `SAGA_COMMAND_ABANDONED`, none still running;
 * - the effects are exactly the plan's, each run once at attempt 1 (the worker never stopped, so no
 *   handler may run twice), and no refund or release for an order that did not fail;
 * - the outbox is empty.
 */
import type pg from 'pg';
import { COMPENSATION_STEP } from '../../src/index.ts';
import { ChargeCard, OUTAGE_SAGA, outageEffects, outagePath, outageSteps, ReserveStock, SHIPMENT_REFUSED, ShipOrder, type OutagePlan } from './outage-saga.ts';

export interface OutageOrder {
  readonly orderId: string;
  readonly plan: OutagePlan;
  readonly messageId: string;
}

export interface OutageVerdict {
  /** One line per problem (at most 50). */
  readonly problems: readonly string[];
  readonly problemCount: number;
  readonly observed: {
    readonly instances: number;
    readonly commands: number;
    readonly commandsByStatus: Record<string, number>;
    readonly effects: number;
    readonly compensationSteps: number;
    readonly compensationResumes: number;
  };
}

export async function checkOutage(saga: pg.ClientBase, effectsDb: pg.ClientBase, orders: readonly OutageOrder[]): Promise<OutageVerdict> {
  const problems: string[] = [];
  let problemCount = 0;
  const problem = (line: string) => {
    problemCount++;
    if (problems.length < 50) problems.push(line);
  };
  const { rows: instances } = await saga.query<{ id: string; correlation_id: string; state: string; status: string; version: number; compensation: unknown[] }>(
    'SELECT id, correlation_id, state, status, version, compensation FROM sagaflow_instances WHERE saga_name = $1',
    [OUTAGE_SAGA],
  );
  const { rows: history } = await saga.query<{ instance_id: string; sequence: number; message_id: string; event_type: string; step: string | null }>(
    `SELECT instance_id, sequence, message_id, event_type, payload->>'step' AS step FROM sagaflow_history ORDER BY instance_id, sequence`,
  );
  const { rows: commands } = await saga.query<{ command_type: string; correlation_id: string; status: string; attempts: number; code: string | null }>(
    `SELECT command_type, correlation_id, status, attempts, error->>'code' AS code FROM sagaflow_commands`,
  );
  const { rows: outbox } = await saga.query<{ message_type: string; n: number }>(
    'SELECT message_type, count(*)::int AS n FROM sagaflow_outbox GROUP BY message_type',
  );
  const { rows: effects } = await effectsDb.query<{ seq: string; kind: string; order_id: string; runs: number; attempts: number[] }>(
    'SELECT seq, kind, order_id, runs, attempts FROM outage_effects ORDER BY seq',
  );

  const byCorrelation = new Map(instances.map((i) => [i.correlation_id, i]));
  const group = <T, K>(items: readonly T[], key: (t: T) => K) => {
    const m = new Map<K, T[]>();
    for (const item of items) m.set(key(item), [...(m.get(key(item)) ?? []), item]);
    return m;
  };
  const historyOf = group(history, (h) => h.instance_id);
  const effectsOf = group(effects, (e) => e.order_id);
  const commandsOf = group(commands, (c) => c.correlation_id);

  for (const order of orders) {
    const id = order.orderId;
    const instance = byCorrelation.get(id);
    if (!instance) {
      problem(`${id} (${order.plan}): no instance`);
      continue;
    }
    const final = order.plan === 'complete' ? { state: 'Completed', status: 'completed' } : { state: 'Cancelled', status: 'faulted' };
    if (instance.state !== final.state || instance.status !== final.status || (instance.status === 'faulted' && instance.compensation.length > 0)) {
      problem(`${id} (${order.plan}): ended ${instance.state} [${instance.status}] with ${instance.compensation.length} steps left, expected ${final.state} [${final.status}]`);
    }
    const rows = historyOf.get(instance.id) ?? [];
    if (rows.length !== instance.version || rows.some((h, k) => h.sequence !== k + 1)) {
      problem(`${id}: version ${instance.version}, history [${rows.map((h) => h.sequence).join(',')}]`);
    }
    if (new Set(rows.map((h) => h.message_id)).size !== rows.length) problem(`${id}: a message id appears twice in its history`);
    const path = rows.filter((h) => !h.event_type.startsWith('sagaflow.')).map((h) => h.event_type);
    if (path.join() !== outagePath(order.plan).join()) problem(`${id}: applied [${path.join(', ')}], expected [${outagePath(order.plan).join(', ')}]`);
    if (rows[0] && rows[0].message_id !== order.messageId) problem(`${id}: created by ${rows[0].message_id}, not its OrderPlaced`);
    const steps = rows.filter((h) => h.event_type === COMPENSATION_STEP).map((h) => h.step);
    if (steps.join() !== outageSteps(order.plan).join()) problem(`${id}: compensation steps [${steps.join(', ')}], expected [${outageSteps(order.plan).join(', ')}]`);

    const got = effectsOf.get(id) ?? [];
    const kinds = got.map((e) => e.kind);
    if (kinds.join() !== outageEffects(order.plan).join()) problem(`${id} (${order.plan}): effects [${kinds.join(', ')}], expected [${outageEffects(order.plan).join(', ')}]`);
    for (const e of got) {
      if (e.runs !== 1 || e.attempts.some((a) => a !== 1)) problem(`${id}: '${e.kind}' ran ${e.runs} times, at attempts [${e.attempts.join(',')}]`);
    }

    const want = new Map<string, { status: string; code: string | null }>([
      [ReserveStock.name, { status: 'completed', code: null }],
      [ChargeCard.name, { status: 'completed', code: null }],
      [ShipOrder.name, order.plan === 'complete' ? { status: 'completed', code: null } : { status: 'failed', code: SHIPMENT_REFUSED }],
    ]);
    const cmds = commandsOf.get(id) ?? [];
    for (const [type, w] of want) {
      const found = cmds.filter((c) => c.command_type === type);
      if (found.length !== 1) {
        problem(`${id}: ${found.length} '${type}' commands`);
        continue;
      }
      const c = found[0]!;
      if (c.status !== w.status || c.code !== w.code || c.attempts !== 1) {
        problem(`${id}: '${type}' ${c.status}${c.code ? ` (${c.code})` : ''} at attempt ${c.attempts}, expected ${w.status}${w.code ? ` (${w.code})` : ''} at attempt 1`);
      }
    }
    if (cmds.length !== want.size) problem(`${id}: ${cmds.length} commands, expected ${want.size}`);
  }
  const known = new Set(orders.map((o) => o.orderId));
  for (const i of instances) if (!known.has(i.correlation_id)) problem(`unexpected instance '${i.correlation_id}'`);
  for (const o of outbox) problem(`${o.n} × ${o.message_type} left in the outbox`);

  const commandsByStatus: Record<string, number> = {};
  for (const c of commands) {
    const key = c.code ? `${c.status} (${c.code})` : c.status;
    commandsByStatus[key] = (commandsByStatus[key] ?? 0) + 1;
  }
  return {
    problems,
    problemCount,
    observed: {
      instances: instances.length,
      commands: commands.length,
      commandsByStatus,
      effects: effects.length,
      compensationSteps: history.filter((h) => h.event_type === COMPENSATION_STEP).length,
      compensationResumes: history.filter((h) => h.event_type === 'sagaflow.compensation.retry').length,
    },
  };
}
