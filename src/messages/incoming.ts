/**
 * @module messages/incoming
 * Turns whatever a transport handed over (bytes, text, or an object) into an envelope of our own, and
 * into a JSON value that can be stored as a dead letter whether or not it is one. The input is hostile
 * until proven otherwise, so it is read exactly once, into a plain copy: no getter or proxy trap runs
 * after that, and nesting is bounded, so nothing downstream can overflow the stack. Like `JSON.stringify`
 * leaving out functions, the copy leaves out what JSON cannot hold (BigInts, cyclic references,
 * anything nested deeper than `MAX_NESTING`): where the schema needs it, validation then fails; where the
 * schema does not know the key, nothing is lost. Only the envelope's own fields are copied. Never
 * throws: a value that cannot be read at all (a throwing getter, a revoked proxy) comes back as
 * `EnvelopeError` (in the envelope) or `ValidationError` (in its payload).
 */
import { EnvelopeError } from '../errors/envelope-error.ts';
import { ValidationError } from '../errors/validation-error.ts';
import { assertEnvelope, type Envelope } from './envelope.ts';

/** Deeper input is refused: no real message nests this far, and every later step can then recurse safely. */
export const MAX_NESTING = 64;

export interface Incoming {
  /** The input as JSON: the plain copy, or `{ raw }` with the text when there is none. */
  readonly stored: unknown;
  /** The envelope (a copy; payload Dates are kept), or why the input is not one. */
  readonly envelope: Envelope | EnvelopeError | ValidationError;
}

class Unreadable extends Error {
  constructor(
    readonly path: readonly (string | number)[],
    problem: string,
  ) {
    super(problem);
  }
}

export function readIncoming(input: unknown): Incoming {
  let value: unknown = input;
  let text: string | undefined;
  // isView first: it reads no property, so a proxy's traps never run outside the copy below.
  if (typeof input === 'string' || (ArrayBuffer.isView(input) && input instanceof Uint8Array)) {
    text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      return { stored: { raw: text }, envelope: new EnvelopeError('not JSON') };
    }
  }
  let copy: unknown;
  try {
    copy = envelopeCopy(value);
  } catch (error) {
    const problem = error instanceof Unreadable ? error : new Unreadable([], describe(error));
    const stored = { raw: text ?? describe(value) };
    if (problem.path[0] === 'payload') {
      const type = safeType(value);
      return {
        stored,
        envelope: new ValidationError(type, [
          { code: 'custom', message: problem.message, path: problem.path.slice(1) as PropertyKey[], input: undefined },
        ]),
      };
    }
    return { stored, envelope: new EnvelopeError(`unreadable${problem.path.length ? ` at ${problem.path.join('.')}` : ''}: ${problem.message}`) };
  }
  return { stored: copy, envelope: check(copy) };
}

function check(value: unknown): Envelope | EnvelopeError {
  try {
    assertEnvelope(value);
    return value;
  } catch (error) {
    return error instanceof EnvelopeError ? error : new EnvelopeError(`unreadable: ${describe(error)}`);
  }
}

const ENVELOPE_FIELDS = ['kind', 'type', 'messageId', 'correlationId', 'payload', 'timestamp', 'headers'] as const;

/** The envelope's fields, each read once; anything else on the object is ignored. */
function envelopeCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return plainCopy(value, [], new Set());
  const out: Record<string, unknown> = {};
  const seen = new Set<object>([value]);
  for (const field of ENVELOPE_FIELDS) {
    let present: boolean;
    let v: unknown;
    try {
      present = field in value;
      v = present ? (value as Record<string, unknown>)[field] : undefined;
    } catch (error) {
      throw new Unreadable([field], describe(error));
    }
    // `payload: undefined` is present (the schema decides); other undefined fields are absent. A field
    // JSON cannot hold (a BigInt type, say) becomes null, which the envelope rules then refuse.
    if (present && (v !== undefined || field === 'payload')) out[field] = plainCopy(v, [field], seen) ?? (v === undefined ? undefined : null);
  }
  return out;
}

/**
 * A copy made of plain objects, arrays, strings, finite numbers, booleans, null and Dates, reading every
 * property once. What JSON cannot hold is left out: functions, symbols, `undefined`, BigInts, cyclic
 * references, and anything nested deeper than `MAX_NESTING` (non-finite numbers become `null`, as in
 * JSON). A property that throws when read makes the whole value unreadable.
 */
function plainCopy(value: unknown, path: (string | number)[], seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  if (path.length >= MAX_NESTING) return undefined;
  const object = value as object;
  if (seen.has(object)) return undefined;
  if (isDate(object)) {
    const time = Date.prototype.getTime.call(object);
    return new Date(time);
  }
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      const length = (object as unknown[]).length;
      const out: unknown[] = new Array(length);
      for (let i = 0; i < length; i++) out[i] = plainCopy((object as unknown[])[i], [...path, i], seen) ?? null;
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const v = plainCopy((object as Record<string, unknown>)[key], [...path, key], seen);
      // defineProperty, not assignment: a key named __proto__ stays a plain key and pollutes nothing.
      if (v !== undefined) Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  } catch (error) {
    if (error instanceof Unreadable) throw error;
    throw new Unreadable(path, describe(error));
  } finally {
    seen.delete(object);
  }
}

function isDate(value: object): boolean {
  try {
    return value instanceof Date;
  } catch {
    return false; // a proxy refusing getPrototypeOf is no Date
  }
}

/** The input's `type`, for naming a payload error, when it can be read; never throws. */
function safeType(value: unknown): string {
  try {
    const type = (value as { type?: unknown } | null)?.type;
    return typeof type === 'string' ? type : '(unknown)';
  } catch {
    return '(unknown)';
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

/** Bytes of the payload as JSON (what the store would hold). The payload is a plain copy: this cannot throw. */
export function payloadBytes(envelope: Envelope): number {
  const json = JSON.stringify(envelope.payload);
  return json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
}
