/**
 * @module cli/connect
 *
 * Opens what a command works on: the repository (`--database-url`, else `DATABASE_URL`, else the
 * embedded PGlite database in `.sagaflow/db` that `npm run demo` fills), the saga definitions
 * (`--sagas`), and the operations facade over them. Connection failures become errors that say what
 * to check.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseUnreachableError } from '../errors/database-unreachable-error.ts';
import { NoDatabaseError } from '../errors/no-database-error.ts';
import { SagaflowError } from '../errors/sagaflow-error.ts';
import { operatorOrchestrator } from '../ops/operator-orchestrator.ts';
import { SagaOperations } from '../ops/saga-operations.ts';
import { createPrismaRepository, DEFAULT_DIRECTORY } from '../prisma/create-repository.ts';
import type { SagaRepository } from '../repository/types.ts';
import type { CliIo } from './io.ts';
import { loadSagas } from './load-sagas.ts';
import type { AnySaga } from '../dsl/saga.ts';

export interface ConnectionOptions {
  readonly databaseUrl?: string | undefined;
  /** Embedded PGlite folder when there is no URL (default `.sagaflow/db`). */
  readonly pglite?: string | undefined;
  readonly schema?: string | undefined;
  readonly sagas?: string | undefined;
}

/** Why the driver could not connect, in words an operator can act on. */
const REASONS: Readonly<Record<string, string>> = Object.freeze({
  DatabaseNotReachable: 'the server does not answer (wrong host or port, or it is not running)',
  DatabaseDoesNotExist: 'the database does not exist (create it, then run `sagaflow migrate`)',
  DatabaseAccessDenied: 'access denied (wrong user, password or permissions)',
  AuthenticationFailed: 'authentication failed (wrong user or password)',
  TlsConnectionError: 'the TLS handshake failed (check sslmode)',
  SocketTimeout: 'the connection timed out',
});

/** The URL with its password replaced, for messages. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

function unreachable(url: string, error: unknown): unknown {
  if (error instanceof SagaflowError) return error; // MissingTablesError says what to do already
  const kind = (error as { cause?: { kind?: unknown } } | null)?.cause?.kind;
  const code = (error as { code?: unknown } | null)?.code;
  const reason =
    (typeof kind === 'string' && REASONS[kind]) ||
    (code === 'ECONNREFUSED' || code === 'ENOTFOUND' ? REASONS.DatabaseNotReachable : undefined) ||
    (error instanceof Error ? error.message : String(error));
  return new DatabaseUnreachableError(maskUrl(url), reason!, { cause: error });
}

/**
 * @example
 * const repository = await openRepository({ databaseUrl: 'postgresql://localhost/app' }, processIo);
 */
export async function openRepository(options: ConnectionOptions, io: CliIo): Promise<SagaRepository> {
  const url = options.databaseUrl || io.env.DATABASE_URL || undefined;
  // Operator tools read what workers wrote: a cache of this process's own writes would only go stale.
  if (url === undefined) {
    const directory = options.pglite ?? DEFAULT_DIRECTORY;
    // Never create one here: a forgotten DATABASE_URL would look like an empty system. `migrate` creates.
    if (!directory.includes('://') && !existsSync(join(directory, 'PG_VERSION'))) throw new NoDatabaseError(directory);
    return createPrismaRepository({ directory, cache: false, migrate: false });
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new DatabaseUnreachableError(maskUrl(url), 'not a PostgreSQL URL (it must start with postgresql://)');
  }
  try {
    return await createPrismaRepository({ databaseUrl: url, cache: false, poolSize: 4, ...(options.schema && { schema: options.schema }) });
  } catch (error) {
    throw unreachable(url, error);
  }
}

/**
 * Runs `action` with the operations facade over the repository (and an in-process orchestrator when
 * `--sagas` names a module), and closes the repository afterwards.
 */
export async function withOperations<T>(options: ConnectionOptions, io: CliIo, action: (ops: SagaOperations) => Promise<T>): Promise<T> {
  const sagas = options.sagas === undefined ? undefined : await loadSagas(options.sagas);
  const repository = await openRepository(options, io);
  try {
    const orchestrator = sagas && operatorOrchestrator({ sagas, repository, onError: (error) => io.err(`warning: ${String(error)}`) });
    try {
      return await action(new SagaOperations({ repository, ...(sagas && { sagas }), ...(orchestrator && { orchestrator }) }));
    } finally {
      await orchestrator?.close();
    }
  } finally {
    await repository.close?.();
  }
}

/**
 * Runs `action` with the definitions of `--sagas` (required: a usage error without it) and the repository,
 * closing the repository afterwards. For commands that judge the store by the definitions: check, migrate.
 */
export async function withSagas(
  options: ConnectionOptions,
  io: CliIo,
  command: string,
  action: (sagas: readonly AnySaga[], repository: SagaRepository) => Promise<number>,
): Promise<number> {
  if (options.sagas === undefined) {
    io.err(`sagaflow ${command} needs --sagas <module>: the saga definitions to judge the instances by`);
    return 2;
  }
  const sagas = await loadSagas(options.sagas);
  for (const saga of sagas) saga.validate(); // a definition with a migration gap fails here, before any read
  const repository = await openRepository(options, io);
  try {
    return await action(sagas, repository);
  } finally {
    await repository.close?.();
  }
}
