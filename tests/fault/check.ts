/**
 * @module tests/fault/check
 *
 * What a fault scenario must leave behind, checked with SQL against the tables themselves (not through
 * the repository, whose cache or mapping could hide a problem):
 * - every order's instance exists, in the final state and status its plan leads to, stack empty;
 * - its history is exactly sequences 1..version, with no message id twice, and the business events are
 *   exactly its plan's path (duplicates injected left no row);
 * - its compensation steps ran, each popped once, last registered first;
 * - every effect its plan implies is recorded, with the right outcome, and no other effect exists;
 * - the outbox is empty (every message delivered);
 * - every malformed input is a dead letter with the expected reason.
 *
 * Anything missing counts as lost; anything there twice counts as applied twice.
 */
import type pg from 'pg';
import type { DeadLetterReason } from '../../src/repository/types.ts';
import { COMPENSATION_RETRY, COMPENSATION_STEP } from '../../src/index.ts';
import { EffectKind, readEffects } from './effects.ts';
import { expectedEffects, expectedPath, expectedSteps, FAULT_SAGA, type Plan } from './fault-saga.ts';

export interface OrderSpec {
  readonly orderId: string;
  readonly plan: Plan;
  /** The message id of its `OrderSubmitted`. */
  readonly messageId: string;
}

export interface MalformedSpec {
  /** What was wrong with it, for the report. */
  readonly kind: string;
  readonly reason: DeadLetterReason;
  /** Its message id, when it had one: found by that. */
  readonly messageId?: string;
  /** The dead letter `receive()` returned, when it was handed over directly: found by that. */
  readonly deadLetterId?: string;
}

/** Counts of what went wrong; all zero in a good run. */
export interface Losses {
  sagasMissing: number;
  sagasNotFinal: number;
  wrongOutcomes: number;
  historyGaps: number;
  appliedTwice: number;
  compensationsMissing: number;
  effectsMissing: number;
  unexpectedEffects: number;
  unexpectedInstances: number;
  messagesLeftInOutbox: number;
  deadLettersMissing: number;
}

export interface Observed {
  instances: number;
  historyRows: number;
  /** History rows of business events (not compensation bookkeeping). */
  eventsApplied: number;
  compensationSteps: number;
  /** Compensation runs resumed after an interruption (`sagaflow.compensation.retry` rows). */
  compensationResumes: number;
  effects: number;
  /** Effects whose service ran more than once (a redelivered command, a resumed step). */
  effectsRunAgain: number;
  /** Runs beyond the first, summed over all effects. */
  extraEffectRuns: number;
  /** The same, per effect kind: which services and compensation steps ran again. */
  extraRunsByKind: Record<string, number>;
  deadLetters: number;
  deadLettersByReason: Record<string, number>;
  /** Malformed messages stored as a dead letter more than once (redelivered after a kill). */
  deadLettersStoredTwice: number;
}

export interface Verdict {
  readonly lost: Losses;
  readonly observed: Observed;
  /** One line per problem found, for the failure message (at most 50). */
  readonly problems: readonly string[];
}

/** The sum of the losses: 0 when nothing was lost or applied twice. */
export function totalLost(lost: Losses): number {
  return Object.values(lost).reduce((a, b) => a + b, 0);
}

/**
 * Checks a finished scenario.
 *
 * @example
 * const verdict = await checkScenario(client, orders, malformed);
 * expect(verdict.problems).toEqual([]);
 */
export async function checkScenario(client: pg.ClientBase, orders: readonly OrderSpec[], malformed: readonly MalformedSpec[]): Promise<Verdict> {
  const problems: string[] = [];
  const lost: Losses = {
    sagasMissing: 0,
    sagasNotFinal: 0,
    wrongOutcomes: 0,
    historyGaps: 0,
    appliedTwice: 0,
    compensationsMissing: 0,
    effectsMissing: 0,
    unexpectedEffects: 0,
    unexpectedInstances: 0,
    messagesLeftInOutbox: 0,
    deadLettersMissing: 0,
  };
  const problem = (what: keyof Losses, line: string) => {
    lost[what]++;
    if (problems.length < 50) problems.push(`${what}: ${line}`);
  };

  const { rows: instances } = await client.query<{
    id: string;
    correlation_id: string;
    state: string;
    status: string;
    version: number;
    compensation: unknown[];
  }>('SELECT id, correlation_id, state, status, version, compensation FROM sagaflow_instances WHERE saga_name = $1', [FAULT_SAGA]);
  const { rows: history } = await client.query<{
    instance_id: string;
    sequence: number;
    message_id: string;
    event_type: string;
    step: string | null;
  }>(`SELECT instance_id, sequence, message_id, event_type, payload->>'step' AS step FROM sagaflow_history ORDER BY instance_id, sequence`);
  const effects = await readEffects(client);
  const { rows: outbox } = await client.query<{ message_type: string; n: number; attempts: number }>(
    'SELECT message_type, count(*)::int AS n, max(attempts)::int AS attempts FROM sagaflow_outbox GROUP BY message_type',
  );
  // The message id as the envelope carried it: a malformed envelope's letter has no `message_id` column value.
  const { rows: letters } = await client.query<{ id: string; reason: string; message_id: string | null }>(
    `SELECT id::text AS id, reason, coalesce(message_id, envelope->>'messageId') AS message_id FROM sagaflow_dead_letters`,
  );

  const byCorrelation = new Map(instances.map((i) => [i.correlation_id, i]));
  const historyOf = new Map<string, typeof history>();
  for (const h of history) {
    const list = historyOf.get(h.instance_id);
    if (list) list.push(h);
    else historyOf.set(h.instance_id, [h]);
  }
  const effectsOf = new Map<string, Map<string, (typeof effects)[number]>>();
  for (const e of effects) {
    const m = effectsOf.get(e.orderId) ?? new Map();
    m.set(e.kind, e);
    effectsOf.set(e.orderId, m);
  }

  const known = new Set<string>();
  for (const order of orders) {
    known.add(order.orderId);
    const id = order.orderId;
    const instance = byCorrelation.get(id);
    const want = expectedEffects(order.plan, id);
    const got = effectsOf.get(id) ?? new Map();
    for (const [kind, outcome] of want) {
      const e = got.get(kind);
      if (!e) {
        const compensation = kind === EffectKind.Refund || kind === EffectKind.Release;
        problem(compensation ? 'compensationsMissing' : 'effectsMissing', `${id} (${order.plan}): no '${kind}' effect`);
      } else if (e.outcome !== outcome) {
        problem('wrongOutcomes', `${id}: '${kind}' recorded '${e.outcome}', expected '${outcome}'`);
      }
    }
    for (const kind of got.keys()) {
      if (!want.has(kind as EffectKind)) problem('unexpectedEffects', `${id} (${order.plan}): unexpected '${kind}' effect`);
    }
    const release = got.get(EffectKind.Release);
    const refund = got.get(EffectKind.Refund);
    if (release && refund && release.seq > refund.seq) problem('wrongOutcomes', `${id}: refunded before the stock was released (not LIFO)`);

    if (!instance) {
      problem('sagasMissing', `${id} (${order.plan}): no instance`);
      continue;
    }
    const final = order.plan === 'complete' ? { state: 'Completed', status: 'completed' } : { state: 'Cancelled', status: 'faulted' };
    if (instance.status !== 'completed' && instance.status !== 'faulted') {
      problem('sagasNotFinal', `${id} (${order.plan}): ${instance.state} [${instance.status}] at version ${instance.version}`);
    } else if (instance.state !== final.state || instance.status !== final.status || (instance.status === 'faulted' && instance.compensation.length > 0)) {
      problem('wrongOutcomes', `${id} (${order.plan}): ended ${instance.state} [${instance.status}], expected ${final.state} [${final.status}]`);
    }

    const rows = historyOf.get(instance.id) ?? [];
    const contiguous = rows.length === instance.version && rows.every((h, k) => h.sequence === k + 1);
    if (!contiguous) {
      problem('historyGaps', `${id}: version ${instance.version}, history sequences [${rows.map((h) => h.sequence).join(',')}]`);
    }
    if (new Set(rows.map((h) => h.message_id)).size !== rows.length) problem('appliedTwice', `${id}: a message id appears twice in its history`);
    const path = rows.filter((h) => !h.event_type.startsWith('sagaflow.')).map((h) => h.event_type);
    const wantPath = expectedPath(order.plan);
    if (path.join() !== wantPath.join()) {
      const twice = path.length > new Set(path).size;
      problem(twice ? 'appliedTwice' : 'wrongOutcomes', `${id}: applied [${path.join(', ')}], expected [${wantPath.join(', ')}]`);
    }
    if (rows[0] && rows[0].message_id !== order.messageId) {
      problem('wrongOutcomes', `${id}: created by message ${rows[0].message_id}, not its OrderSubmitted ${order.messageId}`);
    }
    const steps = rows.filter((h) => h.event_type === COMPENSATION_STEP).map((h) => h.step ?? '?');
    const wantSteps = expectedSteps(order.plan);
    if (steps.join() !== wantSteps.join()) {
      const kind = steps.length < wantSteps.length ? 'compensationsMissing' : steps.length > wantSteps.length ? 'appliedTwice' : 'wrongOutcomes';
      problem(kind, `${id}: compensation steps [${steps.join(', ')}], expected [${wantSteps.join(', ')}]`);
    }
  }
  for (const i of instances) if (!known.has(i.correlation_id)) problem('unexpectedInstances', `instance '${i.correlation_id}' [${i.status}]`);
  for (const orderId of effectsOf.keys()) if (!known.has(orderId)) problem('unexpectedEffects', `effects for unknown order '${orderId}'`);

  for (const o of outbox) problem('messagesLeftInOutbox', `${o.n} × ${o.message_type} (claimed up to ${o.attempts} times)`);
  lost.messagesLeftInOutbox = outbox.reduce((a, o) => a + o.n, 0);

  const lettersById = new Set(letters.map((l) => l.id));
  const lettersByMessage = new Map<string, string[]>();
  for (const l of letters) {
    if (l.message_id === null) continue;
    const list = lettersByMessage.get(l.message_id) ?? [];
    list.push(l.reason);
    lettersByMessage.set(l.message_id, list);
  }
  let storedTwice = 0;
  for (const m of malformed) {
    if (m.deadLetterId !== undefined) {
      if (!lettersById.has(m.deadLetterId)) problem('deadLettersMissing', `${m.kind}: dead letter ${m.deadLetterId} is gone`);
      continue;
    }
    const reasons = lettersByMessage.get(m.messageId ?? '') ?? [];
    if (reasons.length === 0) problem('deadLettersMissing', `${m.kind} (${m.messageId}): not dead-lettered`);
    else if (reasons.some((r) => r !== m.reason)) problem('wrongOutcomes', `${m.kind} (${m.messageId}): dead-lettered as ${reasons.join(', ')}, expected ${m.reason}`);
    if (reasons.length > 1) storedTwice++;
  }

  const extraRunsByKind: Record<string, number> = {};
  for (const e of effects) if (e.attempts > 1) extraRunsByKind[e.kind] = (extraRunsByKind[e.kind] ?? 0) + e.attempts - 1;
  const deadLettersByReason: Record<string, number> = {};
  for (const l of letters) deadLettersByReason[l.reason] = (deadLettersByReason[l.reason] ?? 0) + 1;
  const observed: Observed = {
    instances: instances.length,
    historyRows: history.length,
    eventsApplied: history.filter((h) => !h.event_type.startsWith('sagaflow.')).length,
    compensationSteps: history.filter((h) => h.event_type === COMPENSATION_STEP).length,
    compensationResumes: history.filter((h) => h.event_type === COMPENSATION_RETRY).length,
    effects: effects.length,
    effectsRunAgain: effects.filter((e) => e.attempts > 1).length,
    extraEffectRuns: effects.reduce((a, e) => a + e.attempts - 1, 0),
    extraRunsByKind,
    deadLetters: letters.length,
    deadLettersByReason,
    deadLettersStoredTwice: storedTwice,
  };
  return { lost, observed, problems };
}
