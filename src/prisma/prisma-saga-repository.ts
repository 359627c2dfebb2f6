/**
 * @module prisma/prisma-saga-repository
 *
 * `SagaRepository` on PostgreSQL (a server or embedded PGlite) through any Prisma client.
 */
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { MissingTablesError } from '../errors/missing-tables-error.ts';
import type {
  HistoryRecord,
  InstanceQuery,
  Page,
  SagaCommit,
  SagaInstanceRecord,
  SagaRepository,
  StateCount,
  SagaStatus,
} from '../repository/types.ts';
import type { SagaflowPrismaClient } from './client-types.ts';
import { encodeCursor } from '../repository/cursor.ts';
import { buildListQuery } from './list-query.ts';
import { PgErrorCode, sqlState } from './pg-error.ts';
import {
  type HistoryRow,
  type InstanceRow,
  historyParams,
  iso,
  mutableParams,
  rowToHistory,
  rowToInstance,
} from './row-mapping.ts';
import { verifySchema } from './schema-check.ts';
import * as SQL from './sql.ts';
import { isUuid } from './uuid.ts';

export interface PrismaSagaRepositoryOptions {
  /**
   * Called by `close()`. Leave it out when you pass your own client: the repository then never
   * disconnects it, since the application owns it. The factories set it to release what they opened.
   */
  readonly onClose?: () => Promise<void>;
}

/**
 * Optimistic, versioned saga persistence over any Prisma client (or a `pg` pool, via `pgPoolClient`).
 * Every commit is a single SQL statement; the first call checks that the tables exist and throws
 * `MissingTablesError` otherwise.
 *
 * @example
 * import { PrismaClient } from './generated/prisma/client'; // your schema, with Sagaflow's models added
 * const repository = new PrismaSagaRepository(new PrismaClient({ adapter }));
 * const instance = await repository.findByCorrelation('order', 'order-42');
 */
export class PrismaSagaRepository implements SagaRepository {
  readonly #client: SagaflowPrismaClient;
  readonly #onClose: (() => Promise<void>) | undefined;
  #ready: Promise<void> | undefined;
  #closed: Promise<void> | undefined;

  constructor(client: SagaflowPrismaClient, options: PrismaSagaRepositoryOptions = {}) {
    this.#client = client;
    this.#onClose = options.onClose;
  }

  /**
   * Checks the schema now rather than on the first call. The result is remembered; a failure is not,
   * so a later call succeeds once the migrations have been applied.
   *
   * @throws MissingTablesError
   */
  ready(): Promise<void> {
    this.#ready ??= verifySchema(this.#client).catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async findByCorrelation(sagaName: string, correlationId: string): Promise<SagaInstanceRecord | null> {
    const rows = await this.#query<InstanceRow>(SQL.FIND_BY_CORRELATION, [sagaName, correlationId]);
    return rows[0] ? rowToInstance(rows[0]) : null;
  }

  async findById(id: string): Promise<SagaInstanceRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.#query<InstanceRow>(SQL.FIND_BY_ID, [id]);
    return rows[0] ? rowToInstance(rows[0]) : null;
  }

  async commit(commit: SagaCommit): Promise<void> {
    const { instance } = commit;
    const conflict = (expected: number, detail: string) =>
      new ConcurrencyError(instance.sagaName, instance.correlationId, expected, detail);
    let written: number;
    try {
      switch (commit.kind) {
        case 'insert':
          written = await this.#execute(SQL.INSERT_COMMIT, [
            instance.id,
            instance.sagaName,
            instance.correlationId,
            ...mutableParams(instance),
            iso(instance.createdAt),
            ...historyParams(commit.history),
          ]);
          if (written === 0) throw conflict(0, 'the instance already exists');
          return;
        case 'update':
          written = await this.#execute(SQL.UPDATE_COMMIT, [
            instance.id,
            commit.expectedVersion,
            ...mutableParams(instance),
            ...historyParams(commit.history),
          ]);
          if (written === 0) throw conflict(commit.expectedVersion, 'stored version differs or the instance is gone');
          return;
        case 'delete':
          written = await this.#execute(SQL.DELETE_COMMIT, [instance.id, commit.expectedVersion]);
          if (written === 0) throw conflict(commit.expectedVersion, 'stored version differs or the instance is gone');
          return;
      }
    } catch (error) {
      // A history row that already exists means another writer produced this version first.
      if (sqlState(error) === PgErrorCode.UniqueViolation) {
        throw conflict(commit.kind === 'insert' ? 0 : commit.expectedVersion, 'duplicate key');
      }
      throw error;
    }
  }

  async list(query: InstanceQuery = {}): Promise<Page<SagaInstanceRecord>> {
    const built = buildListQuery(query);
    const rows = await this.#query<InstanceRow>(built.sql, built.params);
    const items = rows.slice(0, built.limit).map(rowToInstance);
    const last = items[items.length - 1];
    const nextCursor = rows.length > built.limit && last ? encodeCursor(last) : null;
    return { items, nextCursor };
  }

  async countByState(sagaName?: string): Promise<readonly StateCount[]> {
    const rows = await this.#query<{ saga_name: string; state: string; status: string; count: number | bigint }>(
      SQL.COUNT_BY_STATE(sagaName !== undefined),
      sagaName === undefined ? [] : [sagaName],
    );
    // Sorted here, not by SQL, so the order is the in-memory repository's whatever the database collation.
    return rows
      .map((r) => ({ sagaName: r.saga_name, state: r.state, status: r.status as SagaStatus, count: Number(r.count) }))
      .sort(
        (a, b) =>
          a.sagaName.localeCompare(b.sagaName) || a.state.localeCompare(b.state) || a.status.localeCompare(b.status),
      );
  }

  async history(instanceId: string): Promise<readonly HistoryRecord[]> {
    if (!isUuid(instanceId)) return [];
    const rows = await this.#query<HistoryRow>(SQL.HISTORY, [instanceId]);
    return rows.map(rowToHistory);
  }

  /** Releases what the factory opened; a client you passed in stays connected (it is yours). */
  close(): Promise<void> {
    this.#closed ??= this.#onClose?.() ?? Promise.resolve();
    return this.#closed;
  }

  async #query<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    await this.ready();
    try {
      return await this.#client.$queryRawUnsafe<T[]>(sql, ...params);
    } catch (error) {
      throw this.#translate(error);
    }
  }

  async #execute(sql: string, params: readonly unknown[]): Promise<number> {
    await this.ready();
    try {
      return await this.#client.$executeRawUnsafe(sql, ...params);
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /** Tables dropped after start-up surface as the same typed error as at start-up. */
  #translate(error: unknown): unknown {
    if (sqlState(error) === PgErrorCode.UndefinedTable) {
      this.#ready = undefined;
      return new MissingTablesError(['sagaflow_instances', 'sagaflow_history'], { cause: error });
    }
    return error;
  }
}
