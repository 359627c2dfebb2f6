/**
 * @module runtime/requests
 * A saga's requests (MassTransit's `Request`): a command sent with the key of a pending entry on the
 * instance, which holds the command's id and a durable timeout. The handler's outcome comes back to this
 * saga only, carrying the key; it applies while the instance still waits for that very command, and
 * cancels the timeout in the same write. An answer to a request that was superseded, or that already
 * timed out, is dropped on arrival, as a cancelled schedule is.
 */
import type { Envelope } from '../messages/envelope.ts';
import type { ScheduleEntry } from '../repository/types.ts';

/** The pending request an outcome answers (`request:<Command>`, or the key the request chose). */
export const REQUEST_HEADER = 'sagaflow-request';

export const requestKey = (command: string) => `request:${command}`;

/**
 * For an outcome of a request: the key to settle when it answers the pending request, or `'stale'` when
 * the instance no longer waits for it. `undefined` for any other message (and for the request's own
 * timeout, which the schedule machinery settles).
 */
export function answeredRequest(
  envelope: Envelope,
  payload: unknown,
  schedules: readonly ScheduleEntry[] | undefined,
): string | 'stale' | undefined {
  const key = envelope.headers[REQUEST_HEADER];
  if (key === undefined) return undefined;
  const commandId = (payload as { commandId?: unknown } | null)?.commandId;
  const pending = schedules?.find((e) => e.key === key);
  return pending !== undefined && pending.requestId === commandId ? key : 'stale';
}
