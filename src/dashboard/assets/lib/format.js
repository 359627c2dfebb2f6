/**
 * @module dashboard/lib/format
 *
 * Formatting of dates, durations and JSON for display. Pure functions, no DOM.
 */

const pad = (n) => String(n).padStart(2, '0');

/**
 * A local date and time, `2025-03-01 14:05:09`, or `—` for none.
 *
 * @example
 * formatDate('2025-03-01T13:05:09.123Z') // '2025-03-01 14:05:09' in Paris
 */
export function formatDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * How long ago (or from now) a time is: `12 s ago`, `in 5 min`, `3 h ago`, `2 d ago`.
 *
 * @example
 * timeAgo(new Date(Date.now() - 90_000).toISOString()) // '1 min ago'
 */
export function timeAgo(iso, now = Date.now()) {
  if (!iso) return '—';
  const ms = now - new Date(iso).getTime();
  if (Number.isNaN(ms)) return String(iso);
  const text = duration(Math.abs(ms));
  if (Math.abs(ms) < 1000) return 'just now';
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}

/** A rounded duration: `12 s`, `5 min`, `3 h`, `2 d`. */
export function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** Choices of the "stale for" filter: the URL keeps the short name, the API gets milliseconds. */
export const STALE_CHOICES = Object.freeze([
  ['', 'any time'],
  ['1m', 'not updated for 1 min'],
  ['15m', 'not updated for 15 min'],
  ['1h', 'not updated for 1 hour'],
  ['1d', 'not updated for 1 day'],
  ['7d', 'not updated for 7 days'],
]);

/**
 * `15m` → 900000; `null` for anything that is not `<number><s|m|h|d>`.
 *
 * @example
 * parseStale('1h') // 3600000
 */
export function parseStale(text) {
  const match = /^(\d+)(s|m|h|d)$/.exec(text ?? '');
  if (!match) return null;
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2]];
}

/** Indented JSON; `undefined` shows as nothing at all. */
export function prettyJson(value) {
  if (value === undefined) return '';
  return JSON.stringify(value, null, 2);
}

/** Every instance status, in the order of a saga's life. */
export const STATUSES = Object.freeze(['active', 'compensating', 'compensation_failed', 'completed', 'faulted']);

/** Every dead-letter reason, as the API stores them. */
export const DEAD_LETTER_REASONS = Object.freeze([
  'malformed-envelope',
  'unknown-event',
  'invalid-payload',
  'payload-too-large',
  'retries-exhausted',
  'rejected',
  'unstorable-value',
]);
