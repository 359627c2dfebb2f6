/**
 * @module repository/instance-history
 * One in-memory instance's history: the position of its newest row in the store's `HistoryArena`, how
 * many rows it has, and, once it has more than a few, a set of its message ids' hashes. The history is
 * also the inbox: a message id already in it is a duplicate.
 */
import { NO_ROW, type HistoryArena } from './history-arena.ts';
import { quotedIfEscaped, recordsId } from './in-memory-history.ts';

/** The history fields of a stored instance (`StoredInstance`), changed only by `appendHistory`. */
export interface HistoryHolder {
  /** The newest row's position, `NO_ROW` for none. */
  history: number;
  rows: number;
  /**
   * Past `SHORT_HISTORY` rows, the hashes of their message ids (small integers, not a second copy of
   * every id): the inbox check stays O(1) for an instance that lives for thousands of events.
   */
  seen: Set<number> | undefined;
}

/** Up to this many rows, the inbox check walks the row headers; beyond, it asks `seen` first. */
const SHORT_HISTORY = 16;

/** Whether a row of `h` records `messageId`. A hash that matches is confirmed on the row's text, so a collision costs one read, never a wrong answer. */
export function hasMessage(arena: HistoryArena, h: HistoryHolder, messageId: string): boolean {
  const hash = idHash(messageId);
  if (h.seen !== undefined && !h.seen.has(hash)) return false;
  let quoted: string | undefined | null = null;
  for (let p = h.history; p !== NO_ROW; p = arena.prev(p)) {
    if (arena.hash(p) !== hash) continue;
    if (quoted === null) quoted = quotedIfEscaped(messageId);
    if (recordsId(arena.row(p), messageId, quoted)) return true;
  }
  return false;
}

/** Appends `row` (of message `messageId`) to `h`. */
export function appendHistory(arena: HistoryArena, h: HistoryHolder, row: string, messageId: string): void {
  const hash = idHash(messageId);
  h.history = arena.append(h.history, row, hash);
  h.rows++;
  if (h.seen !== undefined) h.seen.add(hash);
  else if (h.rows > SHORT_HISTORY) h.seen = new Set(positions(arena, h).map((p) => arena.hash(p)));
}

/** The rows' text, oldest first. */
export function historyRows(arena: HistoryArena, h: HistoryHolder): string[] {
  return positions(arena, h).map((p) => arena.row(p));
}

/** Positions of the rows, oldest first. */
function positions(arena: HistoryArena, h: HistoryHolder): number[] {
  const out = new Array<number>(h.rows);
  let i = h.rows;
  for (let p = h.history; p !== NO_ROW && i > 0; p = arena.prev(p)) out[--i] = p;
  return out;
}

/** The last id hashed: a write checks the inbox, then appends the same id. */
let lastId: string | undefined;
let lastHash = 0;

/** FNV-1a over the UTF-16 code units, as a signed 32-bit integer (a small integer for V8). */
function idHash(messageId: string): number {
  if (messageId === lastId) return lastHash;
  let h = 0x811c9dc5;
  for (let i = 0; i < messageId.length; i++) h = Math.imul(h ^ messageId.charCodeAt(i), 0x01000193);
  lastId = messageId;
  lastHash = h | 0;
  return lastHash;
}
