/**
 * @module runtime/joins
 * What an applied event does to an instance's joins, as pure functions: a constituent is added to each
 * join it counts toward in the state it arrived in; a join whose constituents have all arrived is
 * cleared and its composite event is scheduled for now. Scheduling (rather than handling the composite
 * in the same write) stages it in the outbox with this very write, addressed to this saga and instance,
 * so a crash cannot lose it and the schedule's token makes it fire exactly once.
 */
import type { CompiledJoin } from '../core/compile-joins.ts';
import { joinKey } from '../dsl/join.ts';
import type { JoinProgress } from '../repository/types.ts';
import type { ScheduleOp } from './schedules.ts';

export interface JoinPlan {
  /** The instance's joins after the event; `undefined` when none is under way. */
  readonly joins: JoinProgress | undefined;
  /** The joins this event completed: their composites are due now. */
  readonly completed: readonly CompiledJoin[];
}

/**
 * The joins after `eventType` was handled in `state`, or `undefined` when the event changes none (the
 * common case: the saga has no join it counts toward, or it does not count in this state).
 *
 * @example
 * planJoins(saga.joins.get('PaymentCaptured'), { ReadyToShip: ['StockReserved'] }, 'PaymentCaptured', 'Preparing');
 * // { joins: undefined, completed: [ReadyToShip's join] }
 */
export function planJoins(
  joins: readonly CompiledJoin[] | undefined,
  previous: JoinProgress | undefined,
  eventType: string,
  state: string,
): JoinPlan | undefined {
  if (joins === undefined) return undefined;
  let next: Record<string, readonly string[]> | undefined;
  const completed: CompiledJoin[] = [];
  for (const join of joins) {
    if (join.states !== undefined && !join.states.has(state)) continue;
    const arrived = previous?.[join.name] ?? [];
    // A constituent that arrives again counts once.
    if (arrived.includes(eventType)) continue;
    next ??= { ...previous };
    const now = [...arrived, eventType];
    if (join.events.every((e) => now.includes(e))) {
      delete next[join.name];
      completed.push(join);
    } else {
      next[join.name] = Object.freeze(now);
    }
  }
  if (next === undefined) return undefined;
  return { joins: Object.keys(next).length === 0 ? undefined : Object.freeze(next), completed };
}

/**
 * The schedule operations that raise the completed joins' composites now, with their payloads made from
 * the instance data as this event leaves it. Throws when a payload function throws or its result fails
 * the composite's schema (the orchestrator reports that as the event's `ActionError`).
 *
 * @example
 * const ops = compositeOps(plan.completed, nextData, clock.now()); // [{ kind: 'set', key: 'join:ReadyToShip', ... }]
 */
export function compositeOps(completed: readonly CompiledJoin[], data: unknown, now: number): ScheduleOp[] {
  return completed.map((join) => ({
    kind: 'set',
    key: joinKey(join.name),
    message: join.composite,
    payload: join.composite.parse(join.payload(data)),
    dueAt: now,
  }));
}
