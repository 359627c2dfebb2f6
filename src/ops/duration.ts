/**
 * @module ops/duration
 *
 * Durations as operators type them (`30s`, `5m`, `1h30m`, `2d`, `250ms`), for "stale for" filters.
 */

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 });

/**
 * Milliseconds in a duration, or `undefined` when the text is not one. Every amount needs its unit: a
 * bare number (`1500`) is refused, since operators read it as seconds and code as milliseconds.
 *
 * @example
 * parseDuration('5m');    // 300000
 * parseDuration('1h30m'); // 5400000
 * parseDuration('soon');  // undefined
 * parseDuration('1500');  // undefined (write 1500ms or 1.5s)
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h|d)/g)) total += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(total);
}

/**
 * A short human form of a duration, the largest two units.
 *
 * @example
 * formatDuration(5_400_000); // '1h30m'
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const parts: string[] = [];
  let rest = Math.floor(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.join('') || '0s';
}
