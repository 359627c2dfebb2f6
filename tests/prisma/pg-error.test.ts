import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../src/errors/concurrency-error.ts';
import { Prisma } from '../../src/prisma/generated/client.ts';
import { isTransient, sqlState, transientFailure } from '../../src/prisma/pg-error.ts';

/** An error as `pg` builds it from a server ErrorResponse. */
function pgError(code: string, message = 'server error', severity = 'ERROR'): pg.DatabaseError {
  const error = new pg.DatabaseError(message, 0, 'error');
  error.code = code;
  error.severity = severity;
  return error;
}

/** What `@prisma/adapter-pg` throws for a `pg` server error. */
function adapterError(code: string, kind = 'postgres'): DriverAdapterError {
  return new DriverAdapterError({ kind, code, severity: 'ERROR', message: 'm', originalCode: code, originalMessage: 'm' } as never);
}

/** What the Prisma client throws for a failed raw query: P2010, the adapter's error in `meta`. */
function clientError(driverAdapterError: DriverAdapterError, code = 'P2010'): Error {
  return new Prisma.PrismaClientKnownRequestError(`Raw query failed. Code: \`${driverAdapterError.cause.kind}\``, {
    code,
    clientVersion: '7.10.1',
    meta: { driverAdapterError },
  });
}

function socketError(code: string): Error {
  return Object.assign(new Error(`read ${code}`), { code, errno: -1, syscall: 'read' });
}

describe('transientFailure', () => {
  const transient: Array<[string, unknown, string | undefined]> = [
    ['a serialization failure from pg', pgError('40001'), '40001'],
    ['a deadlock from pg', pgError('40P01'), '40P01'],
    ['a connection exception (class 08) from pg', pgError('08006'), '08006'],
    ['a protocol violation (08P01)', pgError('08P01'), '08P01'],
    ['an administrator shutdown (57P01, FATAL)', pgError('57P01', 'terminating connection due to administrator command', 'FATAL'), '57P01'],
    ['a crash shutdown (57P02)', pgError('57P02'), '57P02'],
    ['a server still starting (57P03)', pgError('57P03'), '57P03'],
    ['a deadlock through the driver adapter', adapterError('40P01', 'TransactionWriteConflict'), '40P01'],
    ['a terminated backend through the driver adapter', adapterError('57P01'), '57P01'],
    ['a serialization failure through the Prisma client', clientError(adapterError('40001', 'TransactionWriteConflict')), '40001'],
    ['a closed connection through the driver adapter', new DriverAdapterError({ kind: 'ConnectionClosed' }), 'ConnectionClosed'],
    [
      'an unreachable server through the Prisma client',
      clientError(new DriverAdapterError({ kind: 'DatabaseNotReachable', host: 'db', port: 5432 })),
      'DatabaseNotReachable',
    ],
    ['a socket timeout through the driver adapter', new DriverAdapterError({ kind: 'SocketTimeout' }), 'SocketTimeout'],
    ["pg's lost connection, which has no code", new Error('Connection terminated unexpectedly'), undefined],
    ["pg's client after a lost connection", new Error('Client has encountered a connection error and is not queryable'), undefined],
    ['ECONNRESET', socketError('ECONNRESET'), 'ECONNRESET'],
    ['ECONNREFUSED', socketError('ECONNREFUSED'), 'ECONNREFUSED'],
    ['EPIPE', socketError('EPIPE'), 'EPIPE'],
    ['ETIMEDOUT', socketError('ETIMEDOUT'), 'ETIMEDOUT'],
    ['Prisma P1001 (server not reachable)', clientError(new DriverAdapterError({ kind: 'ConnectionClosed' }), 'P1001'), 'P1001'],
    ['Prisma P1017 (server closed the connection)', clientError(new DriverAdapterError({ kind: 'ConnectionClosed' }), 'P1017'), 'P1017'],
    [
      'Prisma P1001 at initialisation',
      new Prisma.PrismaClientInitializationError("Can't reach database server", '7.10.1', 'P1001'),
      'P1001',
    ],
    ['a socket error wrapped as a cause', new Error('query failed', { cause: socketError('ECONNRESET') }), 'ECONNRESET'],
    ['a lost connection wrapped as a cause', new Error('query failed', { cause: new Error('Connection terminated unexpectedly') }), undefined],
  ];
  it.each(transient)('calls %s transient', (_, error, reason) => {
    expect(transientFailure(error)).toEqual({ reason });
    expect(isTransient(error)).toBe(true);
  });

  const permanent: Array<[string, unknown]> = [
    ['a unique violation', pgError('23505')],
    ['invalid input', pgError('22P02')],
    ['a missing table through the driver adapter', adapterError('42P01', 'TableDoesNotExist')],
    ['a syntax error through the Prisma client', clientError(adapterError('42601'))],
    ["PL/pgSQL's RAISE (P0001), which looks like a Prisma code", pgError('P0001')],
    ['a unique violation through the Prisma client (P2002)', clientError(adapterError('23505', 'UniqueConstraintViolation'), 'P2002')],
    ['an authentication failure', new DriverAdapterError({ kind: 'AuthenticationFailed', user: 'x' })],
    ['a programming error', new TypeError('x is not a function')],
    ['a pool used after end()', new Error('Cannot use a pool after calling end on the pool')],
    ['a conflict', new ConcurrencyError('order', 'o-1', 1)],
    ['a database error wrapping a socket error', Object.assign(pgError('23505'), { cause: socketError('ECONNRESET') })],
    ['null', null],
    ['a string', 'Connection terminated unexpectedly'],
  ];
  it.each(permanent)('does not call %s transient', (_, error) => {
    expect(transientFailure(error)).toBeUndefined();
    expect(isTransient(error)).toBe(false);
  });
});

describe('sqlState', () => {
  it('finds the SQLSTATE in each shape a client throws', () => {
    expect(sqlState(pgError('23505'))).toBe('23505');
    expect(sqlState(adapterError('40P01', 'TransactionWriteConflict'))).toBe('40P01');
    expect(sqlState(clientError(adapterError('22P02', 'InvalidInputValue')))).toBe('22P02');
    expect(sqlState(new Error('Raw query failed. Code: `42P01`. Message: `relation does not exist`'))).toBe('42P01');
    expect(sqlState(new Error('plain'))).toBeUndefined();
    expect(sqlState(undefined)).toBeUndefined();
  });
});
