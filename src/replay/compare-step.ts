/**
 * @module replay/compare-step
 *
 * Where a replay departs from what happened, as pure functions: one recorded journal row against what
 * the new definition did with the same input (`compareStep`), and the compensation stack the instance
 * ended with against the replay's (`compareStack`). No I/O, no clock: `replayHistories` feeds them.
 */
import { isDeepStrictEqual } from 'node:util';

/** A journal row as both sides see it: the recorded one, and the one the replay wrote. */
export interface StepRecord {
  readonly type: string;
  readonly stateBefore: string | null;
  readonly stateAfter: string;
  readonly payload: unknown;
  readonly sent: ReadonlyArray<{ readonly type: string; readonly kind: string }>;
}

/** What the new definition did at one point of the journal. */
export type ReplayedStep =
  /** It wrote this row. */
  | { readonly kind: 'applied'; readonly step: StepRecord }
  /** It refused the event: no handler in its state (or no such event), ignored it, or an action threw. */
  | {
      readonly kind: 'refused';
      readonly reason: 'unhandled' | 'ignored' | 'error' | 'schedule';
      readonly state?: string | undefined;
      readonly message: string;
      readonly code?: string | undefined;
    }
  /** It wrote no row here (the journal goes on, the replay's does not). */
  | { readonly kind: 'missing' };

export type DivergenceKind =
  /** Another state after the event. */
  | 'state'
  /** The definition no longer handles the event in the state the replay is in (or at all). */
  | 'unhandled'
  /** The definition ignores the event where it was applied. */
  | 'ignored'
  /** An action, guard or schedule of the definition threw on the recorded input. */
  | 'failed'
  /** Other messages sent, published or scheduled. */
  | 'messages'
  /** Another compensation step ran, none ran, or the stack differs. */
  | 'compensation'
  /** The replay wrote a row the journal does not have, or a different kind of row. */
  | 'extra'
  /** A schedule (timeout, deadline, scheduled message) is due at another time, or not pending at all. */
  | 'schedule'
  /** The instance ended with another status. */
  | 'status';

/** The first point where the new definition departs from the journal. */
export interface Divergence {
  readonly kind: DivergenceKind;
  /** 0-based index of the journal row (history line `history[index]`). */
  readonly index: number;
  /** That row's sequence (the instance version it produced), when the journal has the row. */
  readonly sequence?: number;
  /** The row's type: the event, or the compensation run's write. */
  readonly type: string;
  readonly message: string;
  /** What happened, and what the new definition does instead (shapes depend on `kind`). */
  readonly expected?: unknown;
  readonly actual?: unknown;
}

/** Rows a compensation run writes; they are outputs of the replay, never inputs. */
export const COMPENSATION_ROW = /^sagaflow\.compensation\./;

export interface CompareOptions {
  /**
   * Compare the messages a compensation step sent. Off when the replay records compensation handlers
   * instead of running them (the default), since it then has no messages to show.
   */
  readonly compensationMessages?: boolean;
}

/**
 * @example
 * compareStep(3, recordedRow, { kind: 'applied', step: replayedRow }); // null when they agree
 */
export function compareStep(index: number, recorded: StepRecord, replayed: ReplayedStep, options: CompareOptions = {}): Divergence | null {
  const at = { index, type: recorded.type };
  const isCompensation = COMPENSATION_ROW.test(recorded.type);
  if (replayed.kind === 'refused') {
    const where = replayed.state === undefined ? '' : ` in state '${replayed.state}'`;
    if (replayed.reason === 'unhandled') {
      return { ...at, kind: 'unhandled', message: `'${recorded.type}' is no longer handled${where}: ${replayed.message}`, expected: recorded.stateAfter, actual: replayed.state };
    }
    if (replayed.reason === 'ignored') {
      return { ...at, kind: 'ignored', message: `'${recorded.type}' is now ignored${where} (${replayed.message})`, expected: recorded.stateAfter, actual: replayed.state };
    }
    if (replayed.reason === 'schedule') {
      return { ...at, kind: 'schedule', message: `'${recorded.type}': ${replayed.message}`, actual: replayed.state };
    }
    const code = replayed.code === undefined ? '' : ` [${replayed.code}]`;
    return { ...at, kind: 'failed', message: `'${recorded.type}' now fails${where}${code}: ${replayed.message}`, actual: replayed.code ?? replayed.message };
  }
  if (replayed.kind === 'missing') {
    if (isCompensation) {
      return { ...at, kind: 'compensation', message: `compensation ${stepName(recorded)} ran; the new definition ran none here`, expected: stepOf(recorded), actual: null };
    }
    return { ...at, kind: 'extra', message: `'${recorded.type}' was applied; the replay wrote nothing for it`, expected: recorded.type, actual: null };
  }

  const step = replayed.step;
  if (step.type !== recorded.type) {
    const compensation = isCompensation || COMPENSATION_ROW.test(step.type);
    return {
      ...at,
      kind: compensation ? 'compensation' : 'extra',
      message: `the journal has '${recorded.type}' here; the replay wrote '${step.type}'` + (COMPENSATION_ROW.test(step.type) ? ` (${stepName(step)})` : ''),
      expected: recorded.type,
      actual: step.type,
    };
  }
  if (isCompensation && !sameJson(stepOf(recorded), stepOf(step))) {
    return {
      ...at,
      kind: 'compensation',
      message: `compensation ${stepName(recorded)} ran here; the new definition runs ${stepName(step)}`,
      expected: stepOf(recorded),
      actual: stepOf(step),
    };
  }
  if (step.stateAfter !== recorded.stateAfter) {
    return {
      ...at,
      kind: 'state',
      message: `after '${recorded.type}' the instance went to '${recorded.stateAfter}'; the new definition goes to '${step.stateAfter}'`,
      expected: recorded.stateAfter,
      actual: step.stateAfter,
    };
  }
  if (!isCompensation || options.compensationMessages === true) {
    const expected = recorded.sent.map(describeSent);
    const actual = step.sent.map(describeSent);
    if (!isDeepStrictEqual(expected, actual)) {
      return {
        ...at,
        kind: 'messages',
        message: `'${recorded.type}' sent [${expected.join(', ')}]; the new definition sends [${actual.join(', ')}]`,
        expected,
        actual,
      };
    }
  }
  return null;
}

/** A compensation entry as compared: its name and arguments (attempts are bookkeeping, not behaviour). */
export interface StackEntry {
  readonly name: string;
  readonly args: unknown;
}

/**
 * The stack the instance ended with against the replay's. The journal records steps as they run, not
 * as they are registered, so the recorded stack is known at the end only. The divergence is put at the
 * first row after which the replay's stack stopped being a prefix of the recorded one (where it
 * registered another step), else at the last row (a step it no longer registers).
 *
 * @param stacks the replay's stack after each journal row, by row index
 * @param from the first row to look at: the row after the last compensation row (the stack only grows
 *   between compensation runs, so before that a prefix says nothing)
 */
export function compareStack(
  recorded: readonly StackEntry[],
  replayed: readonly StackEntry[],
  stacks: ReadonlyArray<readonly StackEntry[] | undefined>,
  rows: ReadonlyArray<{ readonly type: string }>,
  from: number,
): Divergence | null {
  if (sameJson(recorded.map(entry), replayed.map(entry))) return null;
  let index = rows.length - 1;
  for (let i = Math.max(0, from); i < rows.length; i++) {
    const stack = stacks[i];
    if (stack !== undefined && !isPrefix(stack, recorded)) {
      index = i;
      break;
    }
  }
  const names = (s: readonly StackEntry[]) => `[${s.map((e) => e.name).join(', ')}]`;
  return {
    kind: 'compensation',
    index,
    type: rows[index]?.type ?? '(none)',
    message: `the compensation stack is ${names(recorded)}; the new definition's is ${names(replayed)}`,
    expected: recorded.map(entry),
    actual: replayed.map(entry),
  };
}

/** A pending schedule as compared: due times are deterministic in a replay (the clock is the recorded one). */
export interface PendingSchedule {
  readonly key: string;
  readonly type: string;
  readonly dueAt: string;
}

/**
 * The schedules still pending at the end of the journal against the replay's: another timeout, another
 * due time, or one the new definition no longer sets.
 *
 * @param last the index (and row type) to put the divergence at: the journal's last row
 */
export function compareSchedules(
  recorded: readonly PendingSchedule[],
  replayed: readonly PendingSchedule[],
  last: { readonly index: number; readonly type: string },
): Divergence | null {
  const show = (s: readonly PendingSchedule[]) =>
    s.map((e) => `${e.key}: ${e.type} at ${new Date(e.dueAt).toISOString()}`).sort();
  const expected = show(recorded);
  const actual = show(replayed);
  if (isDeepStrictEqual(expected, actual)) return null;
  return {
    kind: 'schedule',
    index: last.index,
    type: last.type,
    message: `pending schedules are [${expected.join('; ')}]; the new definition's are [${actual.join('; ')}]`,
    expected,
    actual,
  };
}

function isPrefix(prefix: readonly StackEntry[], of: readonly StackEntry[]): boolean {
  return prefix.length <= of.length && prefix.every((e, i) => sameJson(entry(e), entry(of[i]!)));
}

function entry(e: StackEntry): StackEntry {
  return { name: e.name, args: e.args };
}

function stepOf(row: StepRecord): unknown {
  const p = row.payload as { step?: unknown; args?: unknown } | null;
  return { step: p?.step ?? null, args: p?.args ?? null };
}

function stepName(row: StepRecord): string {
  const step = (row.payload as { step?: unknown } | null)?.step;
  return `'${typeof step === 'string' ? step : '?'}'`;
}

function describeSent(m: { readonly type: string; readonly kind: string }): string {
  return `${m.kind} ${m.type}`;
}

/** Equal as JSON: key order and `undefined` members do not matter (stores reorder keys). */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalized(a), normalized(b));
}

function normalized(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}
