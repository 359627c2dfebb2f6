/**
 * @module messages/envelope
 * The envelope every message travels in, in process or across a broker. It is plain JSON so that it can
 * be stored (outbox, dead letters, history) and sent unchanged.
 */
import { EnvelopeError } from '../errors/envelope-error.ts';
import type { MessageKind } from './message-definition.ts';
import { uuidv7 } from './uuid-v7.ts';

export interface EnvelopeHeaders {
  /** The message id of the message whose handling produced this one. */
  readonly causationId?: string;
  readonly [header: string]: string | undefined;
}

export interface Envelope<Payload = unknown> {
  readonly kind: MessageKind;
  readonly type: string;
  /** Unique per message; redeliveries keep it, which is what makes deduplication possible. */
  readonly messageId: string;
  /** Which saga instance the message belongs to (sagas may instead correlate on the payload). */
  readonly correlationId?: string;
  readonly payload: Payload;
  /** ISO-8601 time the message was created. */
  readonly timestamp: string;
  readonly headers: EnvelopeHeaders;
}

const NO_HEADERS: EnvelopeHeaders = Object.freeze({});

export interface EnvelopeOptions {
  readonly correlationId?: string;
  readonly messageId?: string;
  readonly causationId?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timestamp?: Date;
}

/**
 * Wraps a payload. The payload is not validated here: the receiving side validates against its schema.
 *
 * @example
 * const env = createEnvelope('event', 'OrderCreated', { orderId: 'o-1', total: 10 }, { correlationId: 'o-1' });
 */
export function createEnvelope<Payload>(
  kind: MessageKind,
  type: string,
  payload: Payload,
  options: EnvelopeOptions = {},
  now: Date = new Date(),
): Envelope<Payload> {
  let headers: EnvelopeHeaders = NO_HEADERS;
  if (options.headers !== undefined || options.causationId !== undefined) {
    const h: Record<string, string> = { ...options.headers };
    if (options.causationId !== undefined) h.causationId = options.causationId;
    headers = h;
  }
  const at = options.timestamp ?? now;
  // One object shape for every envelope (correlationId present even when undefined): this runs per message.
  return {
    kind,
    type,
    messageId: options.messageId ?? uuidv7(at.getTime()),
    correlationId: options.correlationId,
    payload,
    timestamp: isoTime(at.getTime()),
    headers,
  };
}

let lastMs = Number.NaN;
let lastIso = '';

/** `toISOString()`, remembered for the current millisecond: many envelopes share one. */
function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/**
 * Checks an envelope that came from outside (a broker, an HTTP call, a test) before any routing.
 * Throws `EnvelopeError` naming the first problem.
 */
export function assertEnvelope(value: unknown): asserts value is Envelope {
  if (value === null || typeof value !== 'object') throw new EnvelopeError('not an object');
  const e = value as Record<string, unknown>;
  if (typeof e.type !== 'string' || e.type.length === 0) throw new EnvelopeError('type must be a non-empty string');
  if (typeof e.messageId !== 'string' || e.messageId.length === 0)
    throw new EnvelopeError(`'${e.type}': messageId must be a non-empty string`);
  if (e.correlationId !== undefined && (typeof e.correlationId !== 'string' || e.correlationId.length === 0))
    throw new EnvelopeError(`'${e.type}': correlationId must be a non-empty string when present`);
  if (e.kind !== 'event' && e.kind !== 'command')
    throw new EnvelopeError(`'${e.type}': kind must be 'event' or 'command'`);
  if (typeof e.timestamp !== 'string' || Number.isNaN(Date.parse(e.timestamp)))
    throw new EnvelopeError(`'${e.type}': timestamp must be an ISO-8601 string`);
  if (e.headers === null || typeof e.headers !== 'object' || Array.isArray(e.headers))
    throw new EnvelopeError(`'${e.type}': headers must be an object`);
  if (!('payload' in e)) throw new EnvelopeError(`'${e.type}': payload is missing`);
}
