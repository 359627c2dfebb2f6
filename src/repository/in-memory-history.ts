/**
 * @module repository/in-memory-history
 * How the in-memory store keeps an instance's history rows, which are also its inbox. A row is one JSON
 * text, `[sequence, messageId, eventType, stateBefore, stateAfter, at, sent, payload]`: one object for the
 * collector where a record would be a dozen, read back only when history is asked for. An instance with
 * one row keeps that string without an array around it.
 */
import type { HistoryRecord, SentMessage } from './types.ts';

/**
 * One row alone, a short list, or a long history with its message ids in a set: the inbox check is a
 * scan of a few rows for most instances, and stays O(1) for an instance that lives for thousands of events
 * (a scan there made every write slower than the last).
 */
export type HistoryRows = string | readonly string[] | LongHistory;

/**
 * Rows past `SHORT_HISTORY`, and a set of 32-bit hashes of their message ids: small integers, not a
 * second copy of every id for the collector to keep and trace. A hash that matches is confirmed on the
 * rows themselves, so a collision costs one scan and never a wrong answer.
 */
export class LongHistory {
  readonly rows: string[];
  readonly #hashes: Set<number>;
  constructor(rows: readonly string[]) {
    this.rows = [...rows];
    this.#hashes = new Set(rows.map((row) => idHash((JSON.parse(row) as [number, string])[1])));
  }

  /** The id `has` was last asked about, and its hash: a write checks the inbox, then adds the same id. */
  #asked: string | undefined;
  #askedHash = 0;

  add(row: string, messageId: string): void {
    this.rows.push(row);
    this.#hashes.add(messageId === this.#asked ? this.#askedHash : idHash(messageId));
  }

  has(messageId: string): boolean {
    const hash = idHash(messageId);
    this.#asked = messageId;
    this.#askedHash = hash;
    return this.#hashes.has(hash) && scan(this.rows, this.rows.length, messageId);
  }
}

/** FNV-1a over the UTF-16 code units, as a signed 32-bit integer (a small integer for V8). */
function idHash(messageId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < messageId.length; i++) h = Math.imul(h ^ messageId.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Up to this many rows, a list and a scan; beyond, a `LongHistory`. */
const SHORT_HISTORY = 16;

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

export function rowCount(rows: HistoryRows): number {
  return typeof rows === 'string' ? 1 : rows instanceof LongHistory ? rows.rows.length : rows.length;
}

export function rowAt(rows: HistoryRows, i: number): string {
  return typeof rows === 'string' ? rows : rows instanceof LongHistory ? rows.rows[i]! : rows[i]!;
}

export function rowSequence(row: string): number {
  return Number(row.slice(1, row.indexOf(',')));
}

/** The rows with `row` (of message `messageId`) after them. Short lists are copied to their exact size; a long history grows in place. */
export function appendRow(rows: HistoryRows | undefined, row: string, messageId: string): HistoryRows {
  if (rows === undefined) return row;
  if (typeof rows === 'string') return [rows, row];
  if (!(rows instanceof LongHistory)) {
    if (rows.length < SHORT_HISTORY) return [...rows, row];
    rows = new LongHistory(rows);
  }
  rows.add(row, messageId);
  return rows;
}

/** Whether a row of `rows` records `messageId` (the inbox): newest first, since a redelivery is usually recent. */
export function hasMessage(rows: HistoryRows, messageId: string): boolean {
  if (rows instanceof LongHistory) return rows.has(messageId);
  const quoted = quotedIfEscaped(messageId);
  if (typeof rows === 'string') return recordsId(rows, messageId, quoted);
  return scan(rows, rows.length, messageId, quoted);
}

/** Characters JSON escapes in a string (lone surrogates never get this far: they are not storable). */
const ESCAPED_IN_JSON = /["\\\u0000-\u001f]/;
const QUOTE = 34;

/** The id's JSON text when JSON escapes something in it; `undefined` (compare the id itself) otherwise. */
function quotedIfEscaped(messageId: string): string | undefined {
  return ESCAPED_IN_JSON.test(messageId) ? JSON.stringify(messageId) : undefined;
}

function scan(rows: readonly string[], count: number, messageId: string, quoted = quotedIfEscaped(messageId)): boolean {
  for (let i = count - 1; i >= 0; i--) if (recordsId(rows[i]!, messageId, quoted)) return true;
  return false;
}

/**
 * Whether `row` has `messageId` as its second field. A row starts `[<sequence>,"<id>"`, so the id is
 * compared in place, without building its JSON text, unless JSON had to escape it (`quoted`).
 */
function recordsId(row: string, messageId: string, quoted: string | undefined): boolean {
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
