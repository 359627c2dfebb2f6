/**
 * @module core/json-value
 * Copies of JSON data without a round trip through text: what `JSON.parse(JSON.stringify(value))`
 * returns, built directly. The in-memory store copies instance data on every write and every load, and
 * the text round trip was a tenth of the in-memory orchestrator's time.
 */

/**
 * The value as JSON would carry it: `toJSON()` applied (Dates become ISO strings), `undefined`,
 * functions and symbols dropped from objects and nulled in arrays, non-finite numbers nulled.
 * Throws `TypeError` for a BigInt or a cycle, as `JSON.stringify` does.
 *
 * With `previous` (an earlier result that nobody changes), each array or object equal to its counterpart
 * there is that counterpart, not a new copy: a store that keeps every version's data then keeps only what
 * changed. Equal means the same entries; key order is not compared (jsonb keeps none either).
 */
export function toJsonValue(value: unknown, previous?: unknown): unknown {
  return convert(value, '', [], previous);
}

function convert(value: unknown, key: string, path: object[], previous: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object': {
      if (value === null) return null;
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return convert(toJSON.call(value, key), key, path, previous);
      if (path.includes(value)) throw new TypeError('Converting circular structure to JSON');
      path.push(value);
      const out = Array.isArray(value) ? convertArray(value, path, previous) : convertObject(value as Record<string, unknown>, path, previous);
      path.pop();
      return out;
    }
    default:
      return undefined; // undefined, functions, symbols
  }
}

function convertArray(value: readonly unknown[], path: object[], previous: unknown): unknown[] {
  const before = Array.isArray(previous) && previous.length === value.length ? (previous as unknown[]) : undefined;
  let same = before !== undefined;
  const array = new Array<unknown>(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = convert(value[i], String(i), path, before?.[i]);
    array[i] = v === undefined ? null : v;
    if (same && array[i] !== before![i]) same = false;
  }
  return same ? before! : array;
}

function convertObject(value: Record<string, unknown>, path: object[], previous: unknown): Record<string, unknown> {
  const before = previous !== null && typeof previous === 'object' && !Array.isArray(previous) ? (previous as Record<string, unknown>) : undefined;
  let same = before !== undefined;
  let count = 0;
  const object: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = convert(value[k], k, path, before?.[k]);
    if (v === undefined) continue;
    setOwn(object, k, v);
    count++;
    if (same && (before![k] !== v || !Object.hasOwn(before!, k))) same = false;
  }
  if (!same) return object;
  let keys = 0;
  for (const k in before) if (Object.hasOwn(before!, k)) keys++;
  return keys === count ? before! : object;
}

/** `object[k] = v`, except that a key `__proto__` (JSON.parse makes one) stays a key instead of changing the prototype. */
function setOwn(object: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(object, k, { value: v, enumerable: true, writable: true, configurable: true });
  else object[k] = v;
}

/** A deep copy of a value that is JSON data already (the output of `toJsonValue`). */
export function copyJsonValue<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const array = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) array[i] = copyJsonValue(value[i]);
    return array as T;
  }
  const object: Record<string, unknown> = {};
  for (const k of Object.keys(value)) setOwn(object, k, copyJsonValue((value as Record<string, unknown>)[k]));
  return object as T;
}
