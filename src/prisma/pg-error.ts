/**
 * @module prisma/pg-error
 *
 * Reads what kind of failure a client threw, whatever its shape: a driver adapter throws
 * `DriverAdapterError` with the SQLSTATE in `cause.originalCode`; the Prisma client wraps driver errors in
 * `PrismaClientKnownRequestError` (code P2010) with the original code in `meta`, older engines only in
 * the message, and a raw `pg` error carries it in `code`.
 */

export const PgErrorCode = Object.freeze({
  UniqueViolation: '23505',
  UndefinedTable: '42P01',
  InvalidTextRepresentation: '22P02',
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
  AdminShutdown: '57P01',
  CrashShutdown: '57P02',
  CannotConnectNow: '57P03',
} as const);

interface ErrorShape {
  code?: unknown;
  errorCode?: unknown;
  message?: unknown;
  meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; kind?: unknown } } };
  cause?: unknown;
}

/** The 5-character SQLSTATE of `error`, or `undefined` when it is not a database error. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as ErrorShape;
  const cause = e.cause as { originalCode?: unknown } | undefined;
  // A driver adapter called directly throws DriverAdapterError, with the SQLSTATE in its cause.
  if (typeof cause?.originalCode === 'string') return cause.originalCode;
  const fromAdapter = e.meta?.driverAdapterError?.cause?.originalCode;
  if (typeof fromAdapter === 'string') return fromAdapter;
  if (typeof e.meta?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.meta.code)) return e.meta.code;
  // Prisma's own codes (P1xxx…P6xxx) have the same shape; PL/pgSQL's SQLSTATEs are P0xxx.
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && !/^P[1-9]/.test(e.code)) return e.code;
  if (typeof e.message === 'string') return /Code: `([0-9A-Z]{5})`/.exec(e.message)?.[1];
  return undefined;
}

/** SQLSTATEs after which the same statement may well succeed: conflicts between transactions, shutdowns. */
const TRANSIENT_STATES: ReadonlySet<string> = new Set([
  PgErrorCode.SerializationFailure,
  PgErrorCode.DeadlockDetected,
  PgErrorCode.AdminShutdown,
  PgErrorCode.CrashShutdown,
  PgErrorCode.CannotConnectNow,
]);

/** Node.js socket errors: the connection broke or could not be made. */
const SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/**
 * Prisma's codes for the same: P1001 database not reachable, P1008 timeout, P1017 server closed the connection.
 * (`@prisma/adapter-pg` turns socket errors into these kinds, which lose the socket code.)
 */
const PRISMA_CODES: ReadonlySet<string> = new Set(['P1001', 'P1008', 'P1017']);
const ADAPTER_KINDS: ReadonlySet<string> = new Set(['ConnectionClosed', 'DatabaseNotReachable', 'SocketTimeout']);

/** `pg` reports a connection lost mid-query, and the client's state after it, with a message and no code. */
const CONNECTION_LOST = /Connection terminated unexpectedly|Client has encountered a connection error and is not queryable/;

/** A failure that may pass if the call is made again; `reason` as `TransientStoreError.reason` takes it. */
export interface TransientFailure {
  /**
   * The SQLSTATE (serialization failure, deadlock, class 08 connection exception, server shutdown), the
   * socket or Prisma code of a connection failure, or the driver adapter's kind for one; `undefined` for
   * `pg`'s code-less "Connection terminated unexpectedly".
   */
  readonly reason: string | undefined;
}

/**
 * Whether `error` may pass on a retry, and why; `undefined` when it will not. Looks through wrappers
 * (`cause`, Prisma's `meta.driverAdapterError`), since each client nests the driver's error differently.
 *
 * @example
 * transientFailure(Object.assign(new Error('deadlock detected'), { code: '40P01' })); // { reason: '40P01' }
 * transientFailure(new Error('Connection terminated unexpectedly')); // { reason: undefined }
 * transientFailure(new Error('syntax error')); // undefined
 */
export function transientFailure(error: unknown): TransientFailure | undefined {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const shape = e as ErrorShape;
    if (typeof shape.code === 'string' && (SOCKET_CODES.has(shape.code) || PRISMA_CODES.has(shape.code))) {
      return { reason: shape.code };
    }
    if (typeof shape.errorCode === 'string' && PRISMA_CODES.has(shape.errorCode)) return { reason: shape.errorCode };
    const state = sqlState(e);
    if (state !== undefined) return TRANSIENT_STATES.has(state) || state.startsWith('08') ? { reason: state } : undefined;
    const kind = (shape.cause as { kind?: unknown } | undefined)?.kind ?? shape.meta?.driverAdapterError?.cause?.kind;
    if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return { reason: kind };
    if (typeof shape.message === 'string' && CONNECTION_LOST.test(shape.message)) return { reason: undefined };
    e = shape.cause;
  }
  return undefined;
}

/**
 * Whether the failure may pass if the call is made again (the outcome of a write that failed so is unknown).
 *
 * @example
 * if (isTransient(error)) await retry();
 */
export function isTransient(error: unknown): boolean {
  return transientFailure(error) !== undefined;
}
