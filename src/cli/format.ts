/**
 * @module cli/format
 *
 * Plain-text output for a terminal: aligned tables, ages, one-line JSON previews. Pure.
 */
import { formatDuration } from '../ops/duration.ts';

/**
 * Left-aligned columns separated by two spaces; cells longer than `max` are cut with an ellipsis.
 *
 * @example
 * table(['SAGA', 'COUNT'], [['order', '3']]).join('\n');
 * // SAGA   COUNT
 * // order  3
 */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, max = 60): string[] {
  const cut = (cell: string) => {
    const flat = cell.replace(/\s+/g, ' ');
    return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  };
  const cells = [headers.map(cut), ...rows.map((r) => r.map(cut))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** `5m ago` for an ISO time, relative to `now`. */
export function age(iso: string, now: number): string {
  return `${formatDuration(now - Date.parse(iso))} ago`;
}

/** Compact JSON for a table cell or a one-line summary. */
export function preview(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value) ?? '';
}

/** Indented JSON for a detail view, each line prefixed. */
export function indentedJson(value: unknown, prefix = '  '): string[] {
  return (JSON.stringify(value, null, 2) ?? 'undefined').split('\n').map((line) => `${prefix}${line}`);
}
