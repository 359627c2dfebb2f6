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
 */
export function toJsonValue(value: unknown): unknown {
  return convert(value, '', []);
}

function convert(value: unknown, key: string, path: object[]): unknown {
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
      if (typeof toJSON === 'function') return convert(toJSON.call(value, key), key, path);
      if (path.includes(value)) throw new TypeError('Converting circular structure to JSON');
      path.push(value);
      let out: unknown;
      if (Array.isArray(value)) {
        const array = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const v = convert(value[i], String(i), path);
          array[i] = v === undefined ? null : v;
        }
        out = array;
      } else {
        const object: Record<string, unknown> = {};
        for (const k of Object.keys(value)) {
          const v = convert((value as Record<string, unknown>)[k], k, path);
          if (v !== undefined) object[k] = v;
        }
        out = object;
      }
      path.pop();
      return out;
    }
    default:
      return undefined; // undefined, functions, symbols
  }
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
  for (const k of Object.keys(value)) object[k] = copyJsonValue((value as Record<string, unknown>)[k]);
  return object as T;
}
