/**
 * @module prisma/pg-error
 *
 * Finds the PostgreSQL SQLSTATE in whatever error a client threw: a driver adapter throws
 * `DriverAdapterError` with it in `cause.originalCode`; the Prisma client wraps driver errors in
 * `PrismaClientKnownRequestError` (code P2010) with the original code in `meta`, older engines only in
 * the message, and a raw `pg` error carries it in `code`.
 */

export const PgErrorCode = Object.freeze({
  UniqueViolation: '23505',
  UndefinedTable: '42P01',
  InvalidTextRepresentation: '22P02',
} as const);

/** The 5-character SQLSTATE of `error`, or `undefined` when it is not a database error. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as {
    code?: unknown;
    message?: unknown;
    meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown } } };
    cause?: { originalCode?: unknown };
  };
  // A driver adapter called directly throws DriverAdapterError, with the SQLSTATE in its cause.
  if (typeof e.cause?.originalCode === 'string') return e.cause.originalCode;
  const fromAdapter = e.meta?.driverAdapterError?.cause?.originalCode;
  if (typeof fromAdapter === 'string') return fromAdapter;
  if (typeof e.meta?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.meta.code)) return e.meta.code;
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  if (typeof e.message === 'string') return /Code: `([0-9A-Z]{5})`/.exec(e.message)?.[1];
  return undefined;
}
