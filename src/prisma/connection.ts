/**
 * @module prisma/connection
 *
 * Connection settings shared by `migrate()` and the factory, including an optional PostgreSQL schema
 * of Sagaflow's own (`schema` option, or Prisma's `?schema=` URL parameter).
 */
import type pg from 'pg';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface ConnectionSettings {
  /** The URL without Prisma's `schema` parameter, which `pg` would not understand. */
  readonly connectionString: string;
  /** The PostgreSQL schema holding Sagaflow's tables, or `undefined` for the server's `search_path`. */
  readonly schema: string | undefined;
}

/**
 * @example
 * resolveConnection('postgresql://db/app?schema=sagaflow');
 * // { connectionString: 'postgresql://db/app', schema: 'sagaflow' }
 */
export function resolveConnection(connectionString: string, schema?: string): ConnectionSettings {
  let url: URL | undefined;
  try {
    url = new URL(connectionString);
  } catch {
    // A key=value connection string: no `schema` parameter to take out.
  }
  const fromUrl = url?.searchParams.get('schema') ?? undefined;
  if (url && fromUrl !== undefined) url.searchParams.delete('schema');
  const chosen = schema ?? fromUrl;
  if (chosen !== undefined && !IDENTIFIER.test(chosen)) {
    throw new RangeError(`schema '${chosen}' must be a plain identifier (letters, digits, underscores)`);
  }
  return { connectionString: url && fromUrl !== undefined ? url.toString() : connectionString, schema: chosen };
}

/**
 * `pg` pool settings: with a schema, every connection starts with `search_path` set to it, so the
 * repository's unqualified table names and the migrations land there.
 */
export function poolConfig(settings: ConnectionSettings, max: number): pg.PoolConfig {
  return {
    connectionString: settings.connectionString,
    max,
    // Timestamps are read as text by Prisma's adapter, which assumes the session is in UTC.
    options: `-c TimeZone=UTC${settings.schema ? ` -c search_path=${settings.schema}` : ''}`,
  };
}
