/**
 * @module repository/cursor
 * Keyset pagination cursors over (updatedAt, id): stable while rows are added, unlike offsets.
 * Opaque to callers; shared by every repository so cursors look the same everywhere.
 */
import { InvalidCursorError } from '../errors/invalid-cursor-error.ts';

export interface CursorPosition {
  readonly updatedAt: Date;
  readonly id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.updatedAt.toISOString()}|${position.id}`, 'utf8').toString('base64url');
}

/** What `encodeCursor` writes for any date a store holds (`toISOString()` of years 0000–9999). */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Far longer than any cursor a store writes (a timestamp, a bar and an id). */
const MAX_CURSOR_LENGTH = 1024;

/**
 * Throws `InvalidCursorError` for a cursor that no repository produced. Strict on purpose: a cursor
 * comes from a query string, and whatever passes here reaches SQL as a parameter, so a date PostgreSQL
 * cannot hold (year 275760) or an id with a NUL would otherwise fail in the driver.
 */
export function decodeCursor(cursor: string): CursorPosition {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw new InvalidCursorError('not a base64url string of a sensible length');
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  if (bar < 0) throw new InvalidCursorError('no position in it');
  const stamp = text.slice(0, bar);
  const updatedAt = new Date(stamp);
  if (!ISO_TIMESTAMP.test(stamp) || Number.isNaN(updatedAt.getTime()) || updatedAt.toISOString() !== stamp) {
    throw new InvalidCursorError('its timestamp is not one a store writes');
  }
  const id = text.slice(bar + 1);
  if (id.length === 0 || /[\u0000-\u001f\u007f\ufffd]/.test(id)) throw new InvalidCursorError('its id is empty or holds control characters');
  return { updatedAt, id };
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** The page size a query asks for, within bounds. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return Math.min(limit, MAX_PAGE_SIZE);
}
