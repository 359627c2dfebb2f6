/**
 * @module ops/defined
 * Options objects without their `undefined` values, for the exact optional properties of the
 * repository's queries and the operations' filters (a CLI flag or query parameter that was not given).
 */

/**
 * @example
 * defined({ saga: 'order', state: undefined }); // { saga: 'order' }
 */
export function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}
