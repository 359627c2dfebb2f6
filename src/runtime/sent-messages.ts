/**
 * @module runtime/sent-messages
 * What a write sent, for its history row: the instance's timeline shows each transition with the
 * commands, events and schedules it produced. Ids and types only; the payloads stay in the outbox and
 * the receivers' own histories.
 */
import type { Envelope } from '../messages/envelope.ts';
import type { OutboxEntry, SentMessage } from '../repository/types.ts';

/** `undefined` when the write sent nothing, which is most writes: no allocation then. */
export function sentMessages(outgoing: readonly Envelope[], scheduled: readonly OutboxEntry[] = []): readonly SentMessage[] | undefined {
  if (outgoing.length === 0 && scheduled.length === 0) return undefined;
  const sent: SentMessage[] = [];
  for (const e of outgoing) sent.push(Object.freeze({ messageId: e.messageId, type: e.type, kind: e.kind === 'command' ? 'send' : 'publish' }));
  for (const s of scheduled) sent.push(Object.freeze({ messageId: s.envelope.messageId, type: s.envelope.type, kind: 'schedule' }));
  // Frozen, so a store that keeps records in memory can keep it as it is instead of copying it.
  return Object.freeze(sent);
}
