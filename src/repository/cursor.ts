/**
 * @module repository/cursor
 * Keyset pagination cursors over (updatedAt, id): stable while rows are added, unlike offsets.
 * Opaque to callers; shared by every repository so cursors look the same everywhere.
 */
export interface CursorPosition {
  readonly updatedAt: Date;
  readonly id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.updatedAt.toISOString()}|${position.id}`, 'utf8').toString('base64url');
}

/** Throws `RangeError` for a cursor that no repository produced. */
export function decodeCursor(cursor: string): CursorPosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const updatedAt = new Date(text.slice(0, bar));
  const id = text.slice(bar + 1);
  if (bar < 0 || Number.isNaN(updatedAt.getTime()) || id.length === 0) throw new RangeError(`invalid cursor '${cursor}'`);
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
