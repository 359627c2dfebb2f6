/**
 * @module prisma/uuid
 * Ids are PostgreSQL `uuid`s. Lookups by something that is not one cannot match, so they answer "not
 * found" instead of sending a statement PostgreSQL would reject.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** @example isUuid('0190a6d2-7e1c-7b3e-9a4f-2f6c1d0e8b11') // true */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
