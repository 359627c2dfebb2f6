/**
 * @module prisma/create-repository
 *
 * Builds a ready repository on this package's own generated Prisma client: on a PostgreSQL server when
 * there is a URL, otherwise on an embedded PGlite database in a local folder that migrates itself.
 */
import { mkdir } from 'node:fs/promises';
import { poolConfig, resolveConnection } from './connection.ts';
import { migrate } from './migrate.ts';
import { loadPg, loadPGlite, loadPrismaClient, loadPrismaPg, loadPrismaPGlite } from './peers.ts';
import { pgPoolClient } from './pg-pool-client.ts';
import { prismaAdapterClient } from './adapter-client.ts';
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
   * How statements reach the database. `'adapter'` (default): Prisma's driver adapter
   * (`@prisma/adapter-pg` on the pool, `pglite-prisma-adapter` embedded), the layer the Prisma client
   * itself sends SQL through. `'client'`: the generated Prisma client's `$queryRawUnsafe` on that adapter,
   * as when you pass your own client. `'pg'` (server only): the `pg` pool directly. Same SQL, same
   * results; they differ in client CPU per statement (docs/persistence.md has the figures).
   */
  readonly via?: 'adapter' | 'client' | 'pg';
  /** Group commit; default on. See `PrismaSagaRepositoryOptions.groupCommit`. */
  readonly groupCommit?: PrismaSagaRepositoryOptions['groupCommit'];
  /**
   * Read-your-writes instance cache; default on (`{ maxInstances: 10_000 }`), `false` to turn it off.
   * See `PrismaSagaRepositoryOptions.cache` for the trade-off.
   */
  readonly cache?: PrismaSagaRepositoryOptions['cache'] | false;
}

/**
 * Opens a repository and checks the tables exist (`MissingTablesError` otherwise).
 *
 * @example
 * const repository = await createPrismaRepository();                         // DATABASE_URL, else .sagaflow/db
 * const onServer = await createPrismaRepository({ databaseUrl: process.env.DATABASE_URL, poolSize: 20 });
 * const overPg = await createPrismaRepository({ databaseUrl: process.env.DATABASE_URL, via: 'pg' });
 * const uncached = await createPrismaRepository({ cache: false });
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
  const [pg, PrismaPg] = await Promise.all([loadPg(), loadPrismaPg()]);
  const pool = new pg.Pool(poolConfig(settings, options.poolSize ?? 10));
  // An idle connection that breaks (server restart) is replaced on next use; unhandled, it would crash.
  pool.on('error', () => {});
  const tuning = repositoryTuning(options);
  const via = options.via ?? 'adapter';
  if (via === 'pg') return opened(new PrismaSagaRepository(pgPoolClient(pool), { ...tuning, onClose: () => pool.end() }));
  const factory = new PrismaPg(pool, {
    statementNameGenerator: (query) => statementName(query.sql),
    ...(settings.schema ? { schema: settings.schema } : {}),
  });
  if (via === 'adapter') {
    const adapter = await factory.connect();
    const onClose = async () => {
      await adapter.dispose();
      await pool.end();
    };
    return opened(new PrismaSagaRepository(prismaAdapterClient(adapter), { ...tuning, onClose }));
  }
  const PrismaClient = await loadPrismaClient();
  const client = new PrismaClient({ adapter: factory });
  const onClose = async () => {
    await client.$disconnect();
    await pool.end();
  };
  return opened(new PrismaSagaRepository(client, { ...tuning, onClose }));
}

async function embedded(directory: string, options: PrismaRepositoryOptions): Promise<PrismaSagaRepository> {
  if (options.via === 'pg') throw new TypeError("via: 'pg' needs a PostgreSQL server; the embedded database uses 'adapter' or 'client'");
  const [PGlite, PrismaPGlite] = await Promise.all([loadPGlite(), loadPrismaPGlite()]);
  if (!directory.includes('://')) await mkdir(directory, { recursive: true });
  const db = await PGlite.create(directory);
  try {
    if (options.migrate !== false) await migrate({ pglite: db });
  } catch (error) {
    await db.close();
    throw error;
  }
  const factory = new PrismaPGlite(db);
  if (options.via === 'client') {
    const PrismaClient = await loadPrismaClient();
    const client = new PrismaClient({ adapter: factory });
    const close = async () => {
      await client.$disconnect();
      if (!db.closed) await db.close();
    };
    return opened(new PrismaSagaRepository(client, { ...repositoryTuning(options), onClose: close }));
  }
  const adapter = await factory.connect();
  const close = async () => {
    await adapter.dispose();
    if (!db.closed) await db.close();
  };
  return opened(new PrismaSagaRepository(prismaAdapterClient(adapter), { ...repositoryTuning(options), onClose: close }));
}

/** The factory caches by default; a repository built by hand does not (its owner decides). */
export const DEFAULT_CACHE = Object.freeze({ maxInstances: 10_000 });

function repositoryTuning(options: PrismaRepositoryOptions): PrismaSagaRepositoryOptions {
  const cache = options.cache === undefined ? DEFAULT_CACHE : options.cache;
  return {
    ...(options.groupCommit !== undefined && { groupCommit: options.groupCommit }),
    ...(cache !== false && { cache }),
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
