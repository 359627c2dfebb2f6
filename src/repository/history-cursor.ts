/**
 * @module repository/history-cursor
 *
 * Keyset cursors over history rows across instances, ordered by (at, instanceId, sequence): the same
 * opaque (time, id) cursor as every other list (`repository/cursor`), its id naming the row. Checked
 * strictly, so what reaches SQL is a timestamp, a UUID and an integer.
 */
import { InvalidCursorError } from '../errors/invalid-cursor-error.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

export interface HistoryPosition {
  readonly at: Date;
  readonly instanceId: string;
  readonly sequence: number;
}

const ROW_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9_.:-]{1,200})\/([1-9][0-9]{0,9})$/;

export function encodeHistoryCursor(p: HistoryPosition): string {
  return encodeCursor({ updatedAt: p.at, id: `${p.instanceId}/${p.sequence}` });
}

/** @throws InvalidCursorError for a cursor no history listing handed out */
export function decodeHistoryCursor(cursor: string): HistoryPosition {
  const { updatedAt, id } = decodeCursor(cursor);
  const m = ROW_ID.exec(id);
  const sequence = m ? Number(m[2]) : NaN;
  if (!m || sequence > 2 ** 31 - 1) throw new InvalidCursorError('it names no history row');
  return { at: updatedAt, instanceId: m[1]!, sequence };
}

/** Newest first: a before b when a is later (then by instance id, then sequence, both descending). */
export function compareHistoryDesc(a: HistoryPosition, b: HistoryPosition): number {
  return b.at.getTime() - a.at.getTime() || (a.instanceId < b.instanceId ? 1 : a.instanceId > b.instanceId ? -1 : 0) || b.sequence - a.sequence;
}
