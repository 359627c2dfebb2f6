/**
 * @module messages/incoming
 * Turns whatever a transport handed over (bytes, text, or an object) into an envelope, and into a JSON
 * value that can be stored as a dead letter whether or not it is one. Never throws anything but
 * `EnvelopeError`: the input is hostile until proven otherwise.
 */
import { EnvelopeError } from '../errors/envelope-error.ts';
import { assertEnvelope, type Envelope } from './envelope.ts';

export interface Incoming {
  /** The input as JSON: the parsed value, or `{ raw }` with the text when it is not JSON. */
  readonly stored: unknown;
  /** The envelope, or the reason the input is not one. */
  readonly envelope: Envelope | EnvelopeError;
}

export function readIncoming(input: unknown): Incoming {
  let value: unknown = input;
  // isView first: it reads no property, so a proxy's traps never run outside the checks below.
  if (typeof input === 'string' || (ArrayBuffer.isView(input) && input instanceof Uint8Array)) {
    const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      return { stored: { raw: text }, envelope: new EnvelopeError('not JSON') };
    }
    return { stored: value, envelope: check(value) };
  }
  return { stored: toStorable(value), envelope: check(value) };
}

function check(value: unknown): Envelope | EnvelopeError {
  try {
    assertEnvelope(value);
    return value;
  } catch (error) {
    // A getter or proxy that throws is as malformed as a missing field.
    return error instanceof EnvelopeError ? error : new EnvelopeError(`unreadable: ${describe(error)}`);
  }
}

/** A JSON copy of `value`, or `{ raw }` with its description when it has none (cycles, BigInts, throwing getters). */
function toStorable(value: unknown): unknown {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? { raw: describe(value) } : JSON.parse(json);
  } catch {
    return { raw: describe(value) };
  }
}

function describe(value: unknown): string {
  try {
    return value instanceof Error ? value.message : String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return typeof value; // a proxy whose traps throw
    }
  }
}

/** Bytes of the payload as JSON (what the store would hold). */
export function payloadBytes(envelope: Envelope): number {
  try {
    const json = JSON.stringify(envelope.payload);
    return json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
  } catch {
    // Not serialisable: the schema check will reject it; its size is not the problem.
    return 0;
  }
}
