/**
 * @module runtime/run-activities
 * Interprets an activity chain against an event context. Synchronous activities run without awaiting, so
 * a chain of plain `then`s costs no extra promise turns.
 *
 * An error thrown by an activity is handled by the first later `catch` of the same chain whose error
 * class matches: its activities run and the rest of the chain is skipped. Unmatched errors propagate.
 */
import { FINAL_STATE, type Activity, type CatchActivity } from '../dsl/activities.ts';
import type { EventContext } from './event-context.ts';

export function runActivities(activities: readonly Activity[], ctx: EventContext): void | Promise<void> {
  for (let i = 0; i < activities.length; i++) {
    let pending: void | Promise<void>;
    try {
      pending = runOne(activities[i]!, ctx);
    } catch (error) {
      return recover(activities, i, ctx, error);
    }
    if (pending !== undefined) return continueAsync(activities, i, pending, ctx);
  }
}

async function continueAsync(
  activities: readonly Activity[],
  index: number,
  pending: Promise<void>,
  ctx: EventContext,
): Promise<void> {
  try {
    await pending;
  } catch (error) {
    return recover(activities, index, ctx, error);
  }
  const rest = runActivities(activities.slice(index + 1), ctx);
  if (rest !== undefined) await rest;
}

function recover(activities: readonly Activity[], index: number, ctx: EventContext, error: unknown): void | Promise<void> {
  const handler = activities.slice(index + 1).find(
    (a): a is CatchActivity => a.type === 'saga.catch' && error instanceof a.errorType,
  );
  if (!handler) throw error;
  ctx.error = error;
  return runActivities(handler.activities, ctx);
}

function runOne(a: Activity, ctx: EventContext): void | Promise<void> {
  switch (a.type) {
    case 'saga.then': {
      const result = a.action(ctx);
      if (result !== undefined && result !== null && typeof result.then === 'function') return Promise.resolve(result);
      return;
    }
    case 'saga.transition':
      ctx.target = a.target;
      return;
    case 'saga.finalize':
      ctx.finalize = true;
      ctx.target ??= FINAL_STATE;
      return;
    case 'saga.compensate':
      ctx.compensateRequested = true;
      return;
    case 'saga.publish':
    case 'saga.send':
      ctx.outbox.add(a.message, a.payload(ctx), undefined);
      return;
    case 'saga.if':
      return runActivities(a.condition(ctx) ? a.then : a.else, ctx);
    case 'saga.catch':
      return; // only reached when nothing threw
  }
}
