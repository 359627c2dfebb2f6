/**
 * @module core/storable
 * What every store can hold, decided without a store: PostgreSQL's `text` and `jsonb` refuse a NUL
 * character (U+0000) and a lone UTF-16 surrogate (in a `text` parameter one silently becomes U+FFFD),
 * and JSON has no NaN, Infinity or BigInt (`JSON.stringify` writes `null` for the first and throws for
 * the last). Every store runs the same check before its first write, so a value that the in-memory
 * store accepts is one PostgreSQL accepts too.
 *
 * The walk is one pass over the value that looks at each string once with one regular expression, and
 * builds the path of a bad value only when it finds one: this runs for every event on the hot path.
 */
import { UnstorableValueError } from '../errors/unstorable-value-error.ts';

/**
 * Deeper values are refused: JSON this deep is a cycle or an attack, and `JSON.stringify` and
 * PostgreSQL's parser recurse on it.
 */
export const MAX_STORABLE_DEPTH = 512;

/** A bad value: where (segments from the top) and what is wrong with it. */
export interface Unstorable {
  readonly segments: readonly (string | number)[];
  readonly problem: string;
}

/**
 * The walk's running upper bound of JSON bytes: a UTF-16 unit is at most 6 bytes (`\u001f`), a number
 * at most 24 characters, plus quotes, separators and brackets. A variable, not a return value, so the
 * walk allocates nothing for a value that is fine.
 */
let bound = 0;

// Either character class is rare in real text: a string without one is fine at the cost of one scan.
const SUSPECT = /[\0\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `s` holds a NUL or any surrogate: a loop for short strings (most ids and names), else the regex. */
function suspect(s: string): boolean {
  const n = s.length;
  if (n > 48) return SUSPECT.test(s);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || (c & 0xf800) === 0xd800) return true;
  }
  return false;
}

/** What is wrong with a string a store cannot hold, or `undefined` when it can. */
export function stringProblem(s: string): string | undefined {
  if (!suspect(s)) return undefined;
  const nul = s.indexOf('\0');
  if (nul !== -1) return `a NUL character (U+0000) at index ${nul}`;
  const lone = LONE_SURROGATE.exec(s);
  return lone === null ? undefined : `a lone UTF-16 surrogate (U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}) at index ${lone.index}`;
}

/** NUL and lone UTF-16 surrogates: what PostgreSQL's text and jsonb cannot hold. */
const UNSTORABLE_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A string with each character no store can hold written as its visible escape (`\u0000`, `\ud800`). */
export function storableText(value: string): string {
  UNSTORABLE_TEXT.lastIndex = 0;
  if (!UNSTORABLE_TEXT.test(value)) return value;
  return value.replace(UNSTORABLE_TEXT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The first part of `value` no store can hold, or `undefined`. Follows `JSON.stringify`: `toJSON()` is
 * applied (a Date is fine), `undefined`, functions and symbols are left out (so they are fine too).
 *
 * @example
 * findUnstorable({ note: 'a\u0000b' }); // { segments: ['note'], problem: 'a NUL character (U+0000) at index 1' }
 */
export function findUnstorable(value: unknown): Unstorable | undefined {
  const found = walk(value, '', 0);
  if (found === undefined) return undefined;
  return { segments: found.segments.reverse(), problem: found.problem };
}

/**
 * Throws `UnstorableValueError` naming `field` and the path inside it when `value` holds something no
 * store can hold.
 *
 * @example
 * assertStorable(envelope.payload, 'payload'); // UnstorableValueError: … at payload.items[2].note: a NUL character …
 */
export function assertStorable(value: unknown, field: string): void {
  // Strings are most of what is checked (ids, names, states): no call into the walk for them.
  if (typeof value === 'string') {
    const problem = suspect(value) ? stringProblem(value) : undefined;
    if (problem !== undefined) throw new UnstorableValueError(field, problem);
    return;
  }
  if (value === null || value === undefined || typeof value === 'boolean') return;
  storableJsonBound(value, field);
}

/**
 * `assertStorable` that also returns an upper bound of the value's size as UTF-8 JSON, counted in the
 * same pass: the orchestrator needs the exact size (`JSON.stringify`) only when the bound is over its
 * limit, which small messages never are.
 *
 * @example
 * if (storableJsonBound(payload, 'payload') > limit) exact = Buffer.byteLength(JSON.stringify(payload));
 */
export function storableJsonBound(value: unknown, field: string): number {
  bound = 0;
  const found = walk(value, '', 0);
  if (found !== undefined) throw new UnstorableValueError(pathOf(field, found.segments.reverse()), found.problem);
  return bound;
}

/** `field` followed by the segments as a JavaScript accessor: `payload.items[2]["odd key"]`. */
export function pathOf(field: string, segments: readonly (string | number)[]): string {
  let out = field;
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    // JSON.stringify escapes NUL and lone surrogates: the path itself is always storable.
    else out += /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Segments are pushed innermost first while unwinding, and reversed once at the top. */
interface Found {
  segments: (string | number)[];
  problem: string;
}

function walk(value: unknown, key: string | number, depth: number): Found | undefined {
  switch (typeof value) {
    case 'string':
      bound += 6 * value.length + 3;
      return suspect(value) ? textFound(value, []) : undefined;
    case 'number':
      bound += 25;
      return Number.isFinite(value) ? undefined : { segments: [], problem: `${value} (JSON has no NaN or Infinity; it would be stored as null)` };
    case 'bigint':
      return { segments: [], problem: 'a BigInt (JSON has none; store it as a string)' };
    case 'object':
      break;
    case 'boolean':
      bound += 6;
      return undefined;
    default:
      return undefined; // undefined, functions and symbols are left out, as JSON.stringify does
  }
  bound += 5;
  if (value === null) return undefined;
  if (depth >= MAX_STORABLE_DEPTH) return { segments: [], problem: `nested deeper than ${MAX_STORABLE_DEPTH} levels, or cyclic` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], i, depth + 1);
      if (found !== undefined) {
        found.segments.push(i);
        return found;
      }
    }
    return undefined;
  }
  const object = value as Record<string, unknown>;
  // A plain object has no toJSON of its own (one would show as a key below, a function JSON calls:
  // rare enough to leave to that key's walk); anything else may turn into something else for JSON.
  if (Object.getPrototypeOf(value) === Object.prototype) {
    // for-in, not Object.keys: no array per object, and with Object.prototype as the prototype (and
    // nothing enumerable added to it) it yields exactly the own enumerable keys.
    for (const k in object) {
      const found = entry(object, k, depth);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value instanceof Date) {
    bound += 30;
    return undefined;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return walk(toJSON.call(value, String(key)), key, depth + 1);
  for (const k of Object.keys(object)) {
    const found = entry(object, k, depth);
    if (found !== undefined) return found;
  }
  return undefined;
}

function entry(object: Record<string, unknown>, k: string, depth: number): Found | undefined {
  bound += 6 * k.length + 4;
  if (suspect(k)) {
    const found = textFound(k, [k]);
    if (found !== undefined) return { segments: found.segments, problem: `its key holds ${found.problem}` };
  }
  const found = walk(object[k], k, depth + 1);
  if (found !== undefined) found.segments.push(k);
  return found;
}

/** A suspect string (a NUL, or a surrogate that may be half of a pair): found, or fine after all. */
function textFound(s: string, segments: (string | number)[]): Found | undefined {
  const problem = stringProblem(s);
  return problem === undefined ? undefined : { segments, problem };
}
