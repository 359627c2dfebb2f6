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

// Either character class is rare in real text: a string without one is fine at the cost of one scan.
const SUSPECT = /[\0\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with a string a store cannot hold, or `undefined` when it can. */
export function stringProblem(s: string): string | undefined {
  if (!SUSPECT.test(s)) return undefined;
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
    const problem = stringProblem(value);
    if (problem !== undefined) throw new UnstorableValueError(field, problem);
    return;
  }
  if (value === null || value === undefined || typeof value === 'boolean') return;
  const found = findUnstorable(value);
  if (found !== undefined) throw new UnstorableValueError(pathOf(field, found.segments), found.problem);
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

function walk(value: unknown, key: string, depth: number): Found | undefined {
  switch (typeof value) {
    case 'string': {
      const problem = stringProblem(value);
      return problem === undefined ? undefined : { segments: [], problem };
    }
    case 'number':
      return Number.isFinite(value) ? undefined : { segments: [], problem: `${value} (JSON has no NaN or Infinity; it would be stored as null)` };
    case 'bigint':
      return { segments: [], problem: 'a BigInt (JSON has none; store it as a string)' };
    case 'object':
      break;
    default:
      return undefined; // boolean; undefined, functions and symbols are left out, as JSON.stringify does
  }
  if (value === null || value instanceof Date) return undefined;
  if (depth >= MAX_STORABLE_DEPTH) return { segments: [], problem: `nested deeper than ${MAX_STORABLE_DEPTH} levels, or cyclic` };
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return walk(toJSON.call(value, key), key, depth + 1);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], String(i), depth + 1);
      if (found !== undefined) {
        found.segments.push(i);
        return found;
      }
    }
    return undefined;
  }
  const object = value as Record<string, unknown>;
  for (const k of Object.keys(object)) {
    const keyProblem = stringProblem(k);
    if (keyProblem !== undefined) return { segments: [k], problem: `its key holds ${keyProblem}` };
    const found = walk(object[k], k, depth + 1);
    if (found !== undefined) {
      found.segments.push(k);
      return found;
    }
  }
  return undefined;
}
