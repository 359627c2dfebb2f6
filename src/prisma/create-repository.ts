/**
 * @module prisma/create-repository
 *
 * Builds a ready repository on this package's own generated Prisma client: on a PostgreSQL server when
 * there is a URL, otherwise on an embedded PGlite database in a local folder that migrates itself.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from './generated/client.ts';
import { poolConfig, resolveConnection } from './connection.ts';
import { migrate } from './migrate.ts';
import { pgPoolClient } from './pg-pool-client.ts';
import { PrismaSagaRepository, type PrismaSagaRepositoryOptions } from './prisma-saga-repository.ts';
import { statementName } from './statement-name.ts';

/** Where the embedded database lives when neither `databaseUrl` nor `DATABASE_URL` is set. */
export const DEFAULT_DIRECTORY = '.sagaflow/db';

export interface PrismaRepositoryOptions {
  /** PostgreSQL server URL. Default: `process.env.DATABASE_URL`, unless `directory` is given. */
  readonly databaseUrl?: string;
  /**
   * PostgreSQL schema holding Sagaflow's tables (also read from `?schema=` in the URL). Default: the
   * server's `search_path`, normally `public`. Use the same value for `migrate()` / `sagaflow migrate`.
   */
  readonly schema?: string;
  /**
   * Embedded PGlite data folder, used when there is no URL. Default `.sagaflow/db`; `memory://` keeps
   * the database in memory. One process at a time may open a folder.
   */
  readonly directory?: string;
  /**
   * Apply pending migrations before returning. Default: `true` for the embedded database, `false` for a
   * server, whose schema belongs to your deploy step (`sagaflow migrate` / `prisma migrate deploy`).
   */
  readonly migrate?: boolean;
  /** Connections in the server pool (default 10). Give it at least your handler concurrency. */
  readonly poolSize?: number;
  /**
   * How statements reach a server: `'prisma'` (default) through the generated Prisma client on the `pg`
   * pool, `'pg'` straight through that pool. Same SQL, same results; `'pg'` skips Prisma's query layer,
   * which costs CPU per statement (group commit sends few statements, so the difference is small under
   * load). The embedded database always goes through the Prisma client.
   */
  readonly via?: 'pg' | 'prisma';
  /** Group commit; default on. See `PrismaSagaRepositoryOptions.groupCommit`. */
  readonly groupCommit?: PrismaSagaRepositoryOptions['groupCommit'];
  /** Read-your-writes instance cache; default off. See `PrismaSagaRepositoryOptions.cache`. */
  readonly cache?: PrismaSagaRepositoryOptions['cache'];
}

/**
 * Opens a repository and checks the tables exist (`MissingTablesError` otherwise).
 *
 * @example
 * const repository = await createPrismaRepository();                         // DATABASE_URL, else .sagaflow/db
 * const onServer = await createPrismaRepository({ databaseUrl: process.env.DATABASE_URL, poolSize: 20 });
 * const overPg = await createPrismaRepository({ databaseUrl: process.env.DATABASE_URL, via: 'pg' });
 * const inMemory = await createPrismaRepository({ directory: 'memory://' });
 * await repository.close();
 */
export async function createPrismaRepository(options: PrismaRepositoryOptions = {}): Promise<PrismaSagaRepository> {
  const url = options.databaseUrl ?? (options.directory === undefined ? process.env.DATABASE_URL : undefined);
  return url ? onServer(url, options) : embedded(options.directory ?? DEFAULT_DIRECTORY, options);
}

async function onServer(connectionString: string, options: PrismaRepositoryOptions): Promise<PrismaSagaRepository> {
  const settings = resolveConnection(connectionString, options.schema);
  if (options.migrate === true) await migrate({ connectionString, ...(settings.schema ? { schema: settings.schema } : {}) });
  const pool = new pg.Pool(poolConfig(settings, options.poolSize ?? 10));
  // An idle connection that breaks (server restart) is replaced on next use; unhandled, it would crash.
  pool.on('error', () => {});
  const tuning = repositoryTuning(options);
  if ((options.via ?? 'prisma') === 'prisma') {
    const adapter = new PrismaPg(pool, {
      statementNameGenerator: (query) => statementName(query.sql),
      ...(settings.schema ? { schema: settings.schema } : {}),
    });
    const client = new PrismaClient({ adapter });
    const onClose = async () => {
      await client.$disconnect();
      await pool.end();
    };
    return opened(new PrismaSagaRepository(client, { ...tuning, onClose }));
  }
  return opened(new PrismaSagaRepository(pgPoolClient(pool), { ...tuning, onClose: () => pool.end() }));
}

async function embedded(directory: string, options: PrismaRepositoryOptions): Promise<PrismaSagaRepository> {
  if (!directory.includes('://')) await mkdir(directory, { recursive: true });
  const db = await PGlite.create(directory);
  try {
    if (options.migrate !== false) await migrate({ pglite: db });
  } catch (error) {
    await db.close();
    throw error;
  }
  const client = new PrismaClient({ adapter: new PrismaPGlite(db) });
  const close = async () => {
    await client.$disconnect();
    if (!db.closed) await db.close();
  };
  return opened(new PrismaSagaRepository(client, { ...repositoryTuning(options), onClose: close }));
}

function repositoryTuning(options: PrismaRepositoryOptions): PrismaSagaRepositoryOptions {
  return {
    ...(options.groupCommit !== undefined && { groupCommit: options.groupCommit }),
    ...(options.cache !== undefined && { cache: options.cache }),
  };
}

/** Runs the schema check now, and releases the connections if it fails. */
async function opened(repository: PrismaSagaRepository): Promise<PrismaSagaRepository> {
  try {
    await repository.ready();
    return repository;
  } catch (error) {
    await repository.close();
    throw error;
  }
}
