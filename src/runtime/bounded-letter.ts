/**
 * @module runtime/bounded-letter
 * A dead letter keeps what arrived as evidence, but never more than the orchestrator's
 * `maxPayloadBytes` of it: a payload (or, for input that was no envelope, its raw text) over the limit
 * is kept as a `TruncatedValue`, its first bytes with the size and SHA-256 of the whole. The
 * envelope's own fields stay, so the letter can still be filtered and read. Five 20 MB messages no
 * longer make five 20 MB rows that every listing downloads.
 */
import { createHash } from 'node:crypto';

/** What a dead letter keeps of a payload (or raw text) over the limit. */
export interface TruncatedValue {
  readonly truncated: true;
  /** The size of the whole, in UTF-8 bytes of its JSON (of the text itself, for raw text). */
  readonly bytes: number;
  /** SHA-256 of those bytes, hex: compare it with the message the sender still has. */
  readonly sha256: string;
  /** Its first bytes (at most the limit), cut at a character boundary. */
  readonly head: string;
}

/**
 * `stored` (a plain JSON value: an envelope, or `{ raw }`) with its payload or raw text replaced by a
 * `TruncatedValue` when that is over `maxBytes`; otherwise `stored` itself.
 *
 * @example
 * boundedLetterValue({ type: 'Big', payload: hugeObject }, 1024).payload; // { truncated: true, bytes: 20971520, sha256: '…', head: '{"data":"xxxx…' }
 */
export function boundedLetterValue(stored: unknown, maxBytes: number): unknown {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return stored;
  const value = stored as Record<string, unknown>;
  if (typeof value.raw === 'string' && !('payload' in value)) {
    const bytes = Buffer.byteLength(value.raw, 'utf8');
    return bytes > maxBytes ? { ...value, raw: truncated(value.raw, bytes, maxBytes) } : stored;
  }
  if (!('payload' in value)) return stored;
  const json = JSON.stringify(value.payload);
  if (json === undefined || json.length <= maxBytes / 3) return stored; // even all 3-byte characters fit
  const bytes = Buffer.byteLength(json, 'utf8');
  return bytes > maxBytes ? { ...value, payload: truncated(json, bytes, maxBytes) } : stored;
}

function truncated(text: string, bytes: number, maxBytes: number): TruncatedValue {
  const buffer = Buffer.from(text, 'utf8');
  let end = Math.min(maxBytes, buffer.length);
  // Back off to the start of a UTF-8 sequence: a continuation byte is 10xxxxxx.
  while (end > 0 && end < buffer.length && (buffer[end]! & 0xc0) === 0x80) end--;
  return {
    truncated: true,
    bytes,
    sha256: createHash('sha256').update(buffer).digest('hex'),
    head: buffer.subarray(0, end).toString('utf8'),
  };
}

/** Whether a stored value is a `TruncatedValue`. */
export function isTruncated(value: unknown): value is TruncatedValue {
  return value !== null && typeof value === 'object' && (value as { truncated?: unknown }).truncated === true && typeof (value as { sha256?: unknown }).sha256 === 'string';
}
