/**
 * @module replay/replay-histories
 *
 * Runs exported histories (`sagaflow export`) through a saga definition on the test harness and reports,
 * per instance, the first point where the definition departs from what happened. Last week's production
 * traffic becomes a regression test of next week's code.
 *
 * How one instance is replayed: a fresh harness (in-memory store, fake clock, no subscriptions, so only
 * the recorded events arrive), the clock set to each row's recorded time, and the rows taken in order.
 * An event row is dispatched with its recorded payload and message id; a compensation retry row asks for
 * the retry; compensation step rows are not inputs, the replay's own compensation runs write them. After
 * each row the replay's journal row at the same place is compared with the recorded one
 * (`compareStep`), and at the end the compensation stack (`compareStack`) and the status.
 *
 * Time: the relay never runs, so no schedule fires on its own. A scheduled message that fired in
 * production is a row of the journal whose message id a previous row scheduled; it is delivered at its
 * recorded time as the replay's own schedule (its token, its key), so it applies exactly when the new
 * definition still has it pending. Answers to requests get the replay's command id the same way: ids the
 * journal recorded for sent messages are mapped to the ids the replay sent in the same place.
 */
import { isSagaflowError } from '../errors/sagaflow-error.ts';
import { UNHANDLED_EVENT } from '../errors/unhandled-event-error.ts';
import { INSTANCE_NOT_FOUND } from '../errors/instance-not-found-error.ts';
import { UnknownSagaError } from '../errors/unknown-saga-error.ts';
import type { AnySaga } from '../dsl/saga.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { HistoryRecord, SagaInstanceRecord } from '../repository/types.ts';
import { COMPENSATION_FAILED_EVENT, COMPENSATION_RETRY } from '../runtime/compensation-runner.ts';
import { REQUEST_HEADER } from '../runtime/requests.ts';
import { SCHEDULE_KEY_HEADER, SCHEDULE_SAGA_HEADER } from '../runtime/schedules.ts';
import { SagaTestHarness } from '../testing/saga-test-harness.ts';
import { compareSchedules, compareStack, compareStep, COMPENSATION_ROW, type Divergence, type ReplayedStep, type StepRecord } from './compare-step.ts';
import { HistoryLine, parseHistoryLine, parseHistoryLines, type HistoryStepLine } from './history-line.ts';
import { CompensationScript, replaySaga, type StepOutcome } from './replay-saga.ts';

export const DEFAULT_LATENESS_MS = 5_000;

export interface ReplayOptions {
  /**
   * Run the definitions' compensation handlers instead of recording them, and compare the messages
   * they send. Default false: the replay must not undo anything for real.
   */
  readonly runCompensations?: boolean;
  /**
   * How late a relay may deliver a due schedule, in ms (default 5,000). A recorded event that arrived
   * more than this after one of the new definition's schedules was due, while that schedule was still
   * pending, is a divergence: the schedule would have arrived first.
   */
  readonly scheduleLatenessMs?: number;
  /** Called with each instance's result as soon as it is known (progress for long files). */
  readonly onInstance?: (result: InstanceReplay) => void;
}

/** One replayed instance. */
export interface InstanceReplay {
  readonly saga: string;
  readonly correlationId: string;
  readonly instanceId: string;
  /** Journal rows that matched before the divergence (all of them when there is none). */
  readonly matched: number;
  readonly rows: number;
  /** The first point where the definition departs from the journal; `null` when it reproduces it. */
  readonly divergence: Divergence | null;
}

export interface ReplayReport {
  readonly instances: readonly InstanceReplay[];
  readonly diverged: number;
  /** True when every instance replayed as recorded. */
  readonly ok: boolean;
}

/**
 * @param histories the exported file's text (JSON lines), or its lines as parsed objects
 * @example
 * const report = await replayHistories([OrderSaga], await readFile('orders.jsonl', 'utf8'));
 * expect(report.instances.filter((i) => i.divergence)).toEqual([]);
 * @throws HistoryFormatError for a line that is not an exported history; UnknownSagaError for a saga
 *   the definitions do not include (before anything is replayed)
 */
export async function replayHistories(
  sagas: readonly AnySaga[],
  histories: string | Iterable<unknown>,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const lines = typeof histories === 'string' ? parseHistoryLines(histories) : [...histories].map((l, i) => asLine(l, i + 1));
  const byName = new Map(sagas.map((s) => [s.name, s] as const));
  for (const line of lines) if (!byName.has(line.saga)) throw new UnknownSagaError(line.saga, [...byName.keys()]);

  const script = new CompensationScript();
  const replayable = new Map<string, AnySaga>();
  const instances: InstanceReplay[] = [];
  for (const line of lines) {
    let saga = replayable.get(line.saga);
    if (saga === undefined) {
      saga = replaySaga(byName.get(line.saga)!, script, options.runCompensations === true);
      replayable.set(line.saga, saga);
    }
    const result = await replayOne(saga, line, script, options);
    instances.push(result);
    options.onInstance?.(result);
  }
  const diverged = instances.filter((i) => i.divergence !== null).length;
  return { instances, diverged, ok: diverged === 0 };
}

function asLine(value: unknown, n: number): HistoryLine {
  const parsed = HistoryLine.safeParse(value);
  return parsed.success ? parsed.data : parseHistoryLine(JSON.stringify(value) ?? 'undefined', n);
}

/** Rows neither an input nor a compensation run's output (a store's own bookkeeping, such as a migration's). */
const isBookkeeping = (type: string) => type.startsWith('sagaflow.') && !COMPENSATION_ROW.test(type);

async function replayOne(saga: AnySaga, line: HistoryLine, script: CompensationScript, options: ReplayOptions): Promise<InstanceReplay> {
  const rows = line.history;
  if (rows.length === 0) return { saga: line.saga, correlationId: line.correlationId, instanceId: line.instanceId, matched: 0, rows: 0, divergence: null };
  script.reset(rows.filter((r) => r.type.startsWith('sagaflow.compensation.') && r.type !== COMPENSATION_RETRY).map(stepOutcome));
  const harness = new SagaTestHarness({ sagas: [saga], subscribe: false, start: new Date(rows[0]?.at ?? line.createdAt) });
  const ids = new Map<string, string>(); // recorded message id → the id the replay sent in its place
  const scheduled = new Set<string>(); // recorded ids of scheduled messages
  const stacks: Array<SagaInstanceRecord['compensation'] | undefined> = [];
  const done = (matched: number, divergence: Divergence | null): InstanceReplay => ({
    saga: line.saga,
    correlationId: line.correlationId,
    instanceId: line.instanceId,
    matched,
    rows: rows.length,
    divergence,
  });
  let journal: readonly HistoryRecord[] = [];
  let position = 0; // next row of the replay's journal to compare
  let lastCompensation = -1;
  try {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (isBookkeeping(row.type)) continue;
      harness.clock.set(Date.parse(row.at));
      let refused: ReplayedStep | undefined;
      if (COMPENSATION_ROW.test(row.type)) lastCompensation = i;
      if (row.type === COMPENSATION_RETRY) refused = await retry(harness, saga, line);
      else if (!COMPENSATION_ROW.test(row.type)) refused = await deliver(harness, saga, line, row, ids, scheduled, options.scheduleLatenessMs ?? DEFAULT_LATENESS_MS);

      const current = await harness.repository.findByCorrelation(saga.name, line.correlationId);
      if (current) journal = await harness.repository.history(current.id);
      const own = journal[position];
      const replayed: ReplayedStep = refused ?? (own ? { kind: 'applied', step: toStep(own) } : { kind: 'missing' });
      const divergence = compareStep(i, fromLine(row), replayed, { compensationMessages: options.runCompensations === true });
      if (divergence) return done(i, { ...divergence, sequence: row.sequence });
      if (replayed.kind === 'applied') {
        position++;
        mapIds(row, replayed.step.sent as readonly SentWithId[], ids, scheduled);
      }
      stacks[i] = current?.compensation;
    }
    if (journal.length > position) {
      const extra = journal[position]!;
      return done(rows.length, {
        kind: 'extra',
        index: rows.length,
        type: extra.eventType,
        message: `the journal ends here; the new definition goes on with '${extra.eventType}' (${extra.stateBefore} -> ${extra.stateAfter})`,
        expected: null,
        actual: extra.eventType,
      });
    }
    const final = await harness.repository.findByCorrelation(saga.name, line.correlationId);
    const stack = compareStack(line.compensation, final?.compensation ?? [], stacks, rows, lastCompensation + 1);
    if (stack) return done(stack.index, { ...stack, ...(rows[stack.index] && { sequence: rows[stack.index]!.sequence }) });
    const lastRow = { index: rows.length - 1, type: rows[rows.length - 1]?.type ?? '(none)' };
    const pending = (final?.schedules ?? []).map((e) => ({ key: e.key, type: e.type, dueAt: e.dueAt.toISOString() }));
    const schedules = compareSchedules(line.schedules, pending, lastRow);
    if (schedules) return done(lastRow.index, { ...schedules, ...(rows[lastRow.index] && { sequence: rows[lastRow.index]!.sequence }) });
    const status = final?.status ?? 'removed';
    if (status !== line.status) {
      const last = rows.length - 1;
      return done(last, {
        kind: 'status',
        index: last,
        type: rows[last]?.type ?? '(none)',
        ...(rows[last] && { sequence: rows[last]!.sequence }),
        message: `the instance ended ${line.status}; under the new definition it ends ${status}`,
        expected: line.status,
        actual: status,
      });
    }
    return done(rows.length, null);
  } finally {
    await harness.dispose();
  }
}

function stepOutcome(row: HistoryStepLine): StepOutcome {
  return row.type === COMPENSATION_FAILED_EVENT ? 'failed' : 'ran';
}

interface SentWithId {
  readonly messageId: string;
  readonly type: string;
  readonly kind: string;
}

/** Pairs the recorded row's sent messages with the replay's, which matched in kind and type. */
function mapIds(row: HistoryStepLine, replayed: readonly SentWithId[], ids: Map<string, string>, scheduled: Set<string>): void {
  if (row.sent.length !== replayed.length) return; // compensation messages not compared (recorded, not run)
  row.sent.forEach((m, k) => {
    ids.set(m.messageId, replayed[k]!.messageId);
    if (m.kind === 'schedule') scheduled.add(m.messageId);
  });
}

/** The recorded event, as the replay's own envelope. */
async function deliver(
  harness: SagaTestHarness,
  saga: AnySaga,
  line: HistoryLine,
  row: HistoryStepLine,
  ids: ReadonlyMap<string, string>,
  scheduled: ReadonlySet<string>,
  lateMs: number,
): Promise<ReplayedStep | undefined> {
  const compiled = saga.compiled;
  const event = compiled.events.get(row.type);
  const record = await harness.repository.findByCorrelation(saga.name, line.correlationId);
  if (event === undefined) {
    return { kind: 'refused', reason: 'unhandled', state: record?.state, message: `the definition declares no event '${row.type}'` };
  }
  const headers: Record<string, string> = {};
  let messageId = row.messageId;
  if (scheduled.has(row.messageId)) {
    // It fired from a schedule: deliver the replay's schedule in its place (pending or not, it decides).
    messageId = ids.get(row.messageId) ?? row.messageId;
    const pending = record?.schedules?.find((s) => s.token === messageId);
    if (pending && pending.dueAt.getTime() > Date.parse(row.at)) {
      const due = pending.dueAt.toISOString();
      return { kind: 'refused', reason: 'schedule', state: record?.state, message: `it fired at ${row.at}; the new definition has it due at ${due}` };
    }
    headers[SCHEDULE_KEY_HEADER] = pending?.key ?? row.type;
    headers[SCHEDULE_SAGA_HEADER] = saga.name;
  }
  // A schedule of the new definition due before this row would have arrived first: the relay does not
  // run in a replay, so that is found here. A relay delivers a due message a little late, so rows within
  // `lateMs` after a due time are not counted.
  const overdue = record?.schedules?.find((s) => s.token !== messageId && s.dueAt.getTime() + lateMs < Date.parse(row.at));
  if (overdue) {
    const due = overdue.dueAt.toISOString();
    return { kind: 'refused', reason: 'schedule', state: record?.state, message: `the new definition's '${overdue.type}' (${overdue.key}) is due at ${due} and would arrive first` };
  }
  const payload = remap(row.payload, ids);
  const commandId = (payload as { commandId?: unknown } | null)?.commandId;
  const request = typeof commandId === 'string' ? record?.schedules?.find((s) => s.requestId === commandId) : undefined;
  if (request) {
    headers[SCHEDULE_SAGA_HEADER] = saga.name;
    headers[REQUEST_HEADER] = request.key;
  }
  const envelope: Envelope = {
    kind: event.message.kind,
    type: row.type,
    messageId,
    correlationId: line.correlationId,
    payload,
    timestamp: row.at,
    headers,
  };
  try {
    const result = await harness.orchestrator.dispatch(envelope);
    await harness.orchestrator.idle();
    const outcome = result.outcomes.find((o) => o.saga === saga.name);
    if (outcome === undefined) return { kind: 'refused', reason: 'unhandled', state: record?.state, message: 'no saga took it' };
    if (outcome.correlationId !== line.correlationId) {
      return { kind: 'refused', reason: 'error', state: record?.state, message: `it now correlates to instance '${outcome.correlationId}'` };
    }
    if (outcome.result === 'ignored') {
      const unhandled = outcome.reason === 'unhandled' || outcome.reason === 'missing-instance';
      return { kind: 'refused', reason: unhandled ? 'unhandled' : 'ignored', state: outcome.state ?? record?.state, message: outcome.reason };
    }
    if (outcome.result === 'duplicate') return { kind: 'refused', reason: 'ignored', state: record?.state, message: 'a duplicate' };
    return undefined;
  } catch (error) {
    return refusal(error, record?.state);
  }
}

async function retry(harness: SagaTestHarness, saga: AnySaga, line: HistoryLine): Promise<ReplayedStep | undefined> {
  try {
    await harness.orchestrator.retryCompensation(saga.name, line.correlationId);
    await harness.orchestrator.idle();
    return undefined;
  } catch (error) {
    const record = await harness.repository.findByCorrelation(saga.name, line.correlationId);
    return refusal(error, record?.state);
  }
}

function refusal(error: unknown, state: string | undefined): ReplayedStep {
  const message = error instanceof Error ? error.message : String(error);
  if (isSagaflowError(error, UNHANDLED_EVENT) || isSagaflowError(error, INSTANCE_NOT_FOUND)) {
    return { kind: 'refused', reason: 'unhandled', state, message, code: error.code };
  }
  return { kind: 'refused', reason: 'error', state, message, code: isSagaflowError(error) ? error.code : undefined };
}

/** Every string of `value` that is a recorded message id, replaced by the replay's id. */
function remap(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (ids.size === 0) return value;
  if (typeof value === 'string') return ids.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => remap(v, ids));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remap(v, ids)]));
  }
  return value;
}

function fromLine(row: HistoryStepLine): StepRecord {
  return { type: row.type, stateBefore: row.stateBefore, stateAfter: row.stateAfter, payload: row.payload, sent: row.sent };
}

function toStep(h: HistoryRecord): StepRecord & { readonly sent: readonly SentWithId[] } {
  return { type: h.eventType, stateBefore: h.stateBefore, stateAfter: h.stateAfter, payload: h.payload, sent: h.sent ?? [] };
}
