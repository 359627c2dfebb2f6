/**
 * @module runtime/schedules
 * What an event does to an instance's pending schedules, as a pure function: the state's timeout when it
 * enters a state (and the cancellation of the one it leaves), the deadline when the instance is created,
 * the actions' `schedule`/`unschedule` calls, and everything cancelled when it finishes. New schedules
 * become outbox entries available at their due time; cancelled and superseded ones are deleted from the
 * outbox in the same write, and their tokens are forgotten, so if one is already on its way it is dropped
 * on arrival.
 */
import type { CompiledSaga } from '../core/compiled-saga.ts';
import type { TimedEvent } from '../dsl/saga.ts';
import { createEnvelope, type Envelope } from '../messages/envelope.ts';
import type { MessageDefinition } from '../messages/message-definition.ts';
import { uuidv7 } from '../messages/uuid-v7.ts';
import type { OutboxEntry, ScheduleEntry } from '../repository/types.ts';

/** Which pending schedule a scheduled message belongs to. */
export const SCHEDULE_KEY_HEADER = 'sagaflow-schedule';
/** The saga a scheduled message is for: no other saga handling the same type receives it. */
export const SCHEDULE_SAGA_HEADER = 'sagaflow-saga';

export const DEADLINE_KEY = 'deadline';
export const timeoutKey = (state: string) => `timeout:${state}`;

export type ScheduleOp =
  | {
      readonly kind: 'set';
      readonly key: string;
      readonly message: MessageDefinition;
      readonly payload: unknown;
      readonly dueAt: number;
      /** A request's timeout: the command it waits for. */
      readonly requestId?: string;
    }
  | { readonly kind: 'cancel'; readonly key: string };

export interface SchedulePlanInput {
  readonly saga: CompiledSaga;
  readonly correlationId: string;
  /** The message being applied: the schedules it creates are caused by it. */
  readonly causationId: string;
  readonly previous: readonly ScheduleEntry[];
  /** The token of the scheduled message being applied, which has fired. */
  readonly fired: string | undefined;
  /** `null` when this event creates the instance. */
  readonly stateBefore: string | null;
  readonly stateAfter: string;
  readonly final: boolean;
  readonly ops: readonly ScheduleOp[];
  readonly data: unknown;
  readonly now: number;
}

export interface SchedulePlan {
  /** `undefined` when nothing changed, so the record keeps the array it had. */
  readonly schedules: readonly ScheduleEntry[] | undefined;
  readonly outbox: readonly OutboxEntry[];
  readonly cancel: readonly string[];
}

const UNCHANGED: SchedulePlan = Object.freeze({ schedules: undefined, outbox: Object.freeze([]), cancel: Object.freeze([]) });

export function planSchedules(input: SchedulePlanInput): SchedulePlan {
  const { saga, stateBefore, stateAfter } = input;
  const def = saga.definition;
  const entering = stateBefore !== stateAfter;
  const implicit = (stateBefore === null && def.deadline !== undefined) || (entering && (def.timeouts.size > 0));
  if (input.ops.length === 0 && !implicit && input.fired === undefined && !(input.final && input.previous.length > 0)) {
    return UNCHANGED; // the common case: nothing scheduled, nothing pending
  }

  const pending = new Map<string, ScheduleEntry>();
  for (const e of input.previous) if (e.token !== input.fired) pending.set(e.key, e);
  const created = new Map<string, { entry: ScheduleEntry; envelope: Envelope }>();
  const cancel: string[] = [];

  const drop = (key: string) => {
    const old = pending.get(key);
    if (!old) return;
    pending.delete(key);
    if (created.has(key)) created.delete(key);
    else cancel.push(old.token);
  };
  const set = (key: string, message: MessageDefinition, payload: unknown, dueAt: number, requestId?: string) => {
    drop(key);
    const token = uuidv7(input.now);
    const envelope = createEnvelope(
      'event',
      message.name,
      payload,
      {
        correlationId: input.correlationId,
        messageId: token,
        causationId: input.causationId,
        headers: { [SCHEDULE_KEY_HEADER]: key, [SCHEDULE_SAGA_HEADER]: saga.name },
      },
      new Date(input.now),
    );
    const entry: ScheduleEntry = { key, token, type: message.name, dueAt: new Date(dueAt), ...(requestId !== undefined && { requestId }) };
    pending.set(key, entry);
    created.set(key, { entry, envelope });
  };
  const timed = (key: string, t: TimedEvent) => set(key, t.message, t.message.parse(t.payload(input.data)), input.now + t.afterMs);

  if (stateBefore === null && def.deadline) timed(DEADLINE_KEY, def.deadline);
  if (entering) {
    if (stateBefore !== null) drop(timeoutKey(stateBefore));
    const timeout = def.timeouts.get(stateAfter);
    if (timeout) timed(timeoutKey(stateAfter), timeout);
  }
  for (const op of input.ops) {
    if (op.kind === 'cancel') drop(op.key);
    else set(op.key, op.message, op.payload, op.dueAt, op.requestId);
  }
  // A finished instance receives nothing more.
  if (input.final) for (const key of [...pending.keys()]) drop(key);

  const outbox = [...created.values()].map(({ entry, envelope }) => ({ id: entry.token, envelope, availableAt: entry.dueAt }));
  return { schedules: Object.freeze([...pending.values()]), outbox, cancel };
}
