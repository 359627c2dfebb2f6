/**
 * @module repository/in-memory-history
 * The in-memory store's history rows, which are also its inbox. A row is one JSON text,
 * `[sequence, messageId, eventType, stateBefore, stateAfter, at, sent, payload]`, kept in a
 * `HistoryArena` (outside the JavaScript heap) and read back only when history is asked for. The inbox
 * check compares 32-bit hashes of message ids kept in each row's header, and reads a row's text only
 * when one matches.
 */
import type { HistoryRecord, SentMessage } from './types.ts';

/** One history row as the store keeps it. The sequence leads, then the message id, so both read without parsing. */
export function historyRow(h: HistoryRecord): string {
  const sent = h.sent?.length ? flatSent(h.sent) : 0;
  return JSON.stringify([h.sequence, h.messageId, h.eventType, h.stateBefore, h.stateAfter, h.at.getTime(), sent, h.payload]);
}

export function loadHistory(instanceId: string, row: string): HistoryRecord {
  const [sequence, messageId, eventType, stateBefore, stateAfter, at, sent, payload] = JSON.parse(row) as [
    number,
    string,
    string,
    string | null,
    string,
    number,
    0 | string[],
    unknown,
  ];
  return {
    instanceId,
    sequence,
    messageId,
    eventType,
    stateBefore,
    stateAfter,
    payload: payload === undefined ? null : payload,
    at: new Date(at),
    ...(sent !== 0 && { sent: parseSent(sent) }),
  };
}

export function rowSequence(row: string): number {
  return Number(row.slice(1, row.indexOf(',')));
}

/** Characters JSON escapes in a string (lone surrogates never get this far: they are not storable). */
const ESCAPED_IN_JSON = /["\\\u0000-\u001f]/;
const QUOTE = 34;

/** The id's JSON text when JSON escapes something in it; `undefined` (compare the id itself) otherwise. */
export function quotedIfEscaped(messageId: string): string | undefined {
  return ESCAPED_IN_JSON.test(messageId) ? JSON.stringify(messageId) : undefined;
}

/**
 * Whether `row` has `messageId` as its second field. A row starts `[<sequence>,"<id>"`, so the id is
 * compared in place, without building its JSON text, unless JSON had to escape it (`quoted`).
 */
export function recordsId(row: string, messageId: string, quoted: string | undefined): boolean {
  const comma = row.indexOf(',');
  if (quoted !== undefined) return row.startsWith(quoted, comma + 1);
  return row.startsWith(messageId, comma + 2) && row.charCodeAt(comma + 2 + messageId.length) === QUOTE;
}

/** Sent messages flat, `[kind, messageId, type, kind, …]`: one array in the row's text, not one per message. */
function flatSent(sent: readonly SentMessage[]): string[] {
  const flat: string[] = [];
  for (const m of sent) flat.push(m.kind, m.messageId, m.type);
  return flat;
}

function parseSent(flat: readonly string[]): SentMessage[] {
  const sent: SentMessage[] = [];
  for (let i = 0; i + 2 < flat.length; i += 3) sent.push({ kind: flat[i] as SentMessage['kind'], messageId: flat[i + 1]!, type: flat[i + 2]! });
  return sent;
}
