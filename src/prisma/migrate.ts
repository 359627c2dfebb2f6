/**
 * @module prisma/migrate
 *
 * Applies the migrations in this package's `prisma/migrations` exactly as `prisma migrate deploy` does
 * (Prisma's schema engine, `_prisma_migrations` bookkeeping), through the engine's WebAssembly build so it
 * runs without the native engine binary and without internet.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { MigrationError } from '../errors/migration-error.ts';
import { poolConfig, resolveConnection } from './connection.ts';
import { readMigrations, readSchema } from './package-files.ts';
import { loadPg, loadPrismaPg, loadPrismaPGlite } from './peers.ts';
import { startSchemaEngine } from './schema-engine.ts';

/**
 * Where to migrate: a PostgreSQL server, or an embedded PGlite database. `schema` (or `?schema=` in the
 * URL, as Prisma spells it) puts Sagaflow's tables and their `_prisma_migrations` in a PostgreSQL schema
 * of their own, created if needed: the way to share a database whose `public` schema already has tables
 * (Prisma Migrate refuses to start on a non-empty schema it does not manage, error P3005).
 */
export type MigrateTarget =
  | { readonly connectionString: string; readonly schema?: string }
  | { readonly pglite: EmbeddedDatabase };

/**
 * An open PGlite database (`PGlite` from `@electric-sql/pglite`), described by its members so that these
 * declarations type-check in an application that does not install PGlite.
 */
export interface EmbeddedDatabase {
  readonly closed: boolean;
  query(sql: string, params?: unknown[]): Promise<unknown>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

export interface MigrateResult {
  /** The migrations this call applied, oldest first; empty when the database was up to date. */
  readonly applied: readonly string[];
}

/**
 * Session-level advisory lock key that serialises `migrate()` calls across processes (ASCII "sagaflow"
 * folded to 32 bits). Deliberately not Prisma's own key (72707369), which the engine may take itself.
 */
export const MIGRATION_LOCK_KEY = 0x5a6f_6d17;

/**
 * Brings the database up to date. Safe to call from several processes at once: they queue on an
 * advisory lock, the first applies, the others find nothing left to apply.
 *
 * @example
 * const { applied } = await migrate({ connectionString: process.env.DATABASE_URL! });
 * console.log(applied.length ? `applied ${applied.join(', ')}` : 'up to date');
 */
export async function migrate(target: MigrateTarget): Promise<MigrateResult> {
  if ('pglite' in target) {
    const PrismaPGlite = await loadPrismaPGlite();
    return serialised(target.pglite, () => apply(new PrismaPGlite(target.pglite as PGlite)));
  }
  const [pg, PrismaPg] = await Promise.all([loadPg(), loadPrismaPg()]);
  const settings = resolveConnection(target.connectionString, target.schema);
  const lock = new pg.Client({ connectionString: settings.connectionString });
  const pool = new pg.Pool(poolConfig(settings, 2));
  // A connection PostgreSQL ends while idle (a restart, an administrator) is an 'error' event: unheard,
  // it would end the process. The statement that needed it fails instead, with a typed error.
  pool.on('error', () => {});
  lock.on('error', () => {});
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      if (settings.schema) await lock.query(`CREATE SCHEMA IF NOT EXISTS "${settings.schema}"`);
      // The engine checks emptiness and keeps `_prisma_migrations` in the adapter's schema (default public).
      return await applyTolerant(new PrismaPg(pool, settings.schema ? { schema: settings.schema } : undefined));
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await lock.end().catch(() => {});
    await pool.end().catch(() => {});
  }
}

/**
 * Retries once: a process outside our lock (someone's `prisma migrate deploy`) may have applied the same
 * migration in between; the second pass then sees it recorded and applies nothing.
 */
async function applyTolerant(adapter: SqlMigrationAwareDriverAdapterFactory): Promise<MigrateResult> {
  try {
    return await apply(adapter);
  } catch (first) {
    try {
      return await apply(adapter);
    } catch {
      throw first;
    }
  }
}

async function apply(adapter: SqlMigrationAwareDriverAdapterFactory): Promise<MigrateResult> {
  const [schema, migrationsList] = await Promise.all([readSchema(), readMigrations()]);
  const logs: string[] = [];
  let engine;
  try {
    engine = await startSchemaEngine(adapter, schema, (line) => logs.push(line));
    const out = await engine.applyMigrations({
      migrationsList,
      filters: { externalTables: [], externalEnums: [] },
    });
    return { applied: out.appliedMigrationNames };
  } catch (error) {
    throw new MigrationError(describe(error) + (logs.length ? `\n${logs.slice(-5).join('\n')}` : ''), { cause: error });
  } finally {
    engine?.free();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

/** PGlite is in-process: one migration at a time per database object is enough. */
const queues = new WeakMap<EmbeddedDatabase, Promise<unknown>>();
function serialised<T>(db: EmbeddedDatabase, run: () => Promise<T>): Promise<T> {
  const next = (queues.get(db) ?? Promise.resolve()).catch(() => {}).then(run);
  queues.set(db, next);
  return next;
}
