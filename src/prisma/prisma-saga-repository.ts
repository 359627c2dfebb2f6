/**
 * @module prisma/prisma-saga-repository
 *
 * `SagaRepository` on PostgreSQL (a server or embedded PGlite) through any Prisma client.
 */
import { MissingTablesError } from '../errors/missing-tables-error.ts';
import { UnstorableValueError } from '../errors/unstorable-value-error.ts';
import { assertStorable } from '../core/storable.ts';
import { checkCommandFinish, checkCommit, checkDeadLetter, checkEnvelope, checkOutbox } from '../repository/check-storable.ts';
import { TransientStoreError } from '../errors/transient-store-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import type {
  ClaimOptions,
  CommandClaim,
  CommandFinish,
  CommandQuery,
  CommandRecord,
  ExpiredCommandClaim,
  DeadLetter,
  DeadLetterCountQuery,
  DeadLetterGroupCount,
  PurgeBatch,
  PurgeResult,
  SagaActivity,
  DeadLetterQuery,
  HistoryRecord,
  HistoryQuery,
  HistoryByTypeQuery,
  InstanceHistoryRecord,
  InstanceQuery,
  LockedInstance,
  OutboxEntry,
  OutboxMessage,
  Page,
  ReadOptions,
  SagaCommit,
  SagaInstanceRecord,
  SagaRepository,
  StateCount,
  VersionCount,
  SagaStatus,
} from '../repository/types.ts';
import type { SagaflowPrismaClient, SqlRunner } from './client-types.ts';
import { byVersion } from '../repository/in-memory-saga-repository.ts';
import { encodeCursor, pageSize } from '../repository/cursor.ts';
import { CommitWriter } from './commit-writer.ts';
import * as Commands from './command-sql.ts';
import * as DeadLetters from './dead-letter-sql.ts';
import { buildListQuery } from './list-query.ts';
import * as Find from './find-sql.ts';
import type { InstanceFilter } from '../repository/instance-filter.ts';
import * as Outbox from './outbox-sql.ts';
import { historyByType } from './history-sql.ts';
import { PgErrorCode, sqlState, transientFailure } from './pg-error.ts';
import { InstanceCache } from './instance-cache.ts';
import { lockInstance, type LockHooks } from './locked-instance.ts';
import {
  toJson,
  type HistoryRow,
  type InstanceRow,
  type PreparedCommit,
  rowToHistory,
  rowToInstance,
} from './row-mapping.ts';
import { missingTables, verifySchema } from './schema-check.ts';
import { GroupLane } from './group-lane.ts';
import * as SQL from './sql.ts';
import { isUuid } from './uuid.ts';

/**
 * SQLSTATEs for a value PostgreSQL cannot hold: untranslatable character (NUL in jsonb), character not
 * in repertoire (NUL in text), program limit exceeded (a value too large for its column).
 */
const UNSTORABLE_STATES: ReadonlySet<string> = new Set(['22P05', '22021', '54000']);

/** Default most commits (and lookups) in one group-commit statement. */
export const DEFAULT_MAX_BATCH = 128;

export interface PrismaSagaRepositoryOptions {
  /**
   * Called by `close()`. Leave it out when you pass your own client: the repository then never
   * disconnects it, since the application owns it. The factories set it to release what they opened.
   */
  readonly onClose?: () => Promise<void>;
  /**
   * Group commit (default on): a commit or `findByCorrelation` requested while one is in flight waits,
   * and all that waited, lookups and commits together, go out as ONE statement when it returns; an idle
   * repository sends a request at once, alone. Each request still succeeds or fails on its own. `false`
   * sends every request as its own statement, concurrently over the pool.
   */
  readonly groupCommit?: false | { readonly maxBatch?: number };
  /**
   * Read-your-writes cache for `findByCorrelation` (default off): answers from the records this
   * repository committed, at most `maxInstances` of them (least recently used out). Exact when this
   * process is the only writer of its instances (partitioned routing). Otherwise a stale answer costs a
   * `ConcurrencyError` and a retry, and the event's actions run once on stale data before that retry.
   */
  readonly cache?: { readonly maxInstances: number };
}

/**
 * Optimistic, versioned saga persistence over any Prisma client (or a `pg` pool, via `pgPoolClient`).
 * Every commit is a single SQL statement; the first call checks that the tables exist and throws
 * `MissingTablesError` otherwise. Failures that may pass (a dropped connection, a deadlock, a
 * serialization failure, a server shutting down) surface as `TransientStoreError`.
 *
 * @example
 * import { PrismaClient } from './generated/prisma/client'; // your schema, with Sagaflow's models added
 * const repository = new PrismaSagaRepository(new PrismaClient({ adapter }));
 * const instance = await repository.findByCorrelation('order', 'order-42');
 */
export class PrismaSagaRepository implements SagaRepository {
  readonly #client: SagaflowPrismaClient;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #writer: CommitWriter;
  /** Group commit: lookups and commits, batched together (undefined with `groupCommit: false`). */
  readonly #lane: GroupLane | undefined;
  readonly #cache: InstanceCache | undefined;
  #ready: Promise<void> | undefined;
  /** Set once the schema check passed: the hot path then skips awaiting it. */
  #verified = false;
  #closed: Promise<void> | undefined;
  /** What the commit writer, the outbox and the dead-letter statements go through. */
  readonly #sql: SqlRunner = {
    query: (sql, params) => this.#query(sql, params),
    execute: (sql, params) => this.#execute(sql, params),
  };

  /** OpenTelemetry's `db.system.name` on persist spans (PGlite is PostgreSQL too). */
  readonly dbSystem = 'postgresql';

  /** An `assumeAbsent` read answers null on a cache miss; see `SagaRepository.assumesAbsence`. */
  readonly assumesAbsence = true;

  /** With the instance cache on, reads may be stale; see `SagaRepository.cachesReads`. */
  get cachesReads(): boolean {
    return this.#cache !== undefined;
  }

  /**
   * See `SagaRepository.lockInstance`: a transaction of its own that holds the instance's row from a
   * `SELECT … FOR UPDATE` to its commit. Present when the client can run a transaction (`$transaction`:
   * every client the factories build, and a `PrismaClient`).
   */
  readonly lockInstance?: (sagaName: string, correlationId: string) => Promise<LockedInstance>;

  constructor(client: SagaflowPrismaClient, options: PrismaSagaRepositoryOptions = {}) {
    this.#client = client;
    if (typeof client.$transaction === 'function') {
      const transactional = { $transaction: client.$transaction.bind(client) };
      const hooks: LockHooks = {
        translate: (error) => this.#translate(error),
        prepare: (commit) => this.#prepare(commit),
        settled: (commit, prepared, error) => this.#settled(commit, prepared.dataJson, error),
      };
      this.lockInstance = async (sagaName, correlationId) => {
        if (!this.#verified) await this.ready();
        return lockInstance(transactional, hooks, sagaName, correlationId);
      };
    }
    this.#onClose = options.onClose;
    const maxBatch = options.groupCommit === false ? undefined : (options.groupCommit?.maxBatch ?? DEFAULT_MAX_BATCH);
    this.#writer = new CommitWriter(this.#sql);
    if (maxBatch !== undefined) this.#lane = new GroupLane(this.#sql, this.#writer, maxBatch);
    this.#cache = options.cache && new InstanceCache(options.cache.maxInstances);
  }

  /**
   * Checks the schema now rather than on the first call. The result is remembered; a failure is not,
   * so a later call succeeds once the migrations have been applied.
   *
   * @throws MissingTablesError
   */
  ready(): Promise<void> {
    this.#ready ??= verifySchema(this.#client).then(
      () => {
        this.#verified = true;
      },
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }

  async findByCorrelation(sagaName: string, correlationId: string, options?: ReadOptions): Promise<SagaInstanceRecord | null> {
    const cached = options?.fresh ? undefined : this.#cache?.get(sagaName, correlationId);
    if (cached !== undefined) return cached;
    // A new instance is the common case for an event that starts one: its insert finds out otherwise.
    if (options?.assumeAbsent && !options.fresh) return null;
    if (this.#lane) return this.#lane.find(sagaName, correlationId);
    const rows = await this.#query<InstanceRow>(SQL.FIND_BY_CORRELATION, [sagaName, correlationId]);
    return rows[0] ? rowToInstance(rows[0]) : null;
  }

  async findById(id: string): Promise<SagaInstanceRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.#query<InstanceRow>(SQL.FIND_BY_ID, [id]);
    return rows[0] ? rowToInstance(rows[0]) : null;
  }

  async commit(commit: SagaCommit): Promise<void> {
    const prepared = this.#prepare(commit);
    try {
      // Deletes are rare and go alone, beside any batch in flight.
      await (this.#lane && prepared.commit.kind !== 'delete' ? this.#lane.commit(prepared as PreparedCommit) : this.#writer.write(prepared));
    } catch (error) {
      this.#settled(commit, prepared.dataJson, error);
      throw error;
    }
    this.#settled(commit, prepared.dataJson, undefined);
  }

  #prepare(commit: SagaCommit) {
    // Before any SQL: PostgreSQL's refusal would come back as a driver error (or, in a text column, as
    // a silently replaced character), and would fail every other commit of its group-commit batch once.
    checkCommit(commit);
    const dataJson = commit.kind === 'delete' ? '' : toJson(commit.instance.data);
    return { commit, dataJson, outboxJson: Outbox.outboxJson(commit.outbox) };
  }

  /** Keeps the instance cache right after a commit applied (`error` undefined) or failed. */
  #settled(commit: SagaCommit, dataJson: string, error: unknown): void {
    if (this.#cache === undefined) return;
    const { instance } = commit;
    // A conflict or a duplicate means a newer version exists; any other failure leaves the outcome unknown.
    if (error !== undefined || commit.kind === 'delete') this.#cache.delete(instance.sagaName, instance.correlationId);
    else this.#cache.set(instance, dataJson);
  }

  async list(query: InstanceQuery = {}): Promise<Page<SagaInstanceRecord>> {
    const built = buildListQuery(query);
    const rows = await this.#query<InstanceRow>(built.sql, built.params);
    const items = rows.slice(0, built.limit).map(rowToInstance);
    const last = items[items.length - 1];
    const nextCursor = rows.length > built.limit && last ? encodeCursor(last) : null;
    return { items, nextCursor };
  }

  countInstances(filter?: InstanceFilter): Promise<number> {
    return Find.countInstances(this.#sql, filter);
  }

  activitySince(since: Date): Promise<readonly SagaActivity[]> {
    return Find.activitySince(this.#sql, since);
  }

  /** A copy of a purged instance left in the read cache costs what any stale answer costs: a conflict and a fresh read. */
  purgeFinished(batch: PurgeBatch): Promise<PurgeResult> {
    return Find.purgeFinished(this.#sql, batch);
  }

  countDeadLettersBy(): Promise<readonly DeadLetterGroupCount[]> {
    return Find.countDeadLettersBy(this.#sql);
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

  async countByVersion(sagaName?: string): Promise<readonly VersionCount[]> {
    const rows = await this.#query<{ saga_name: string; data_version: number; status: string; count: number | bigint }>(
      SQL.COUNT_BY_VERSION(sagaName !== undefined),
      sagaName === undefined ? [] : [sagaName],
    );
    return rows
      .map((r) => ({ sagaName: r.saga_name, definitionVersion: Number(r.data_version), status: r.status as SagaStatus, count: Number(r.count) }))
      .sort(byVersion);
  }

  async history(instanceId: string, query?: HistoryQuery): Promise<readonly HistoryRecord[]> {
    if (!isUuid(instanceId)) return [];
    const rows =
      query === undefined
        ? await this.#query<HistoryRow>(SQL.HISTORY, [instanceId])
        : await this.#query<HistoryRow>(SQL.HISTORY_PAGE, [instanceId, Math.min(query.before ?? 2 ** 31 - 1, 2 ** 31 - 1), pageSize(query.limit)]);
    return rows.map(rowToHistory);
  }

  historyByType(query: HistoryByTypeQuery): Promise<Page<InstanceHistoryRecord>> {
    return historyByType(this.#sql, query);
  }

  async stageOutbox(entries: readonly OutboxEntry[]): Promise<void> {
    checkOutbox(entries);
    return Outbox.stageOutbox(this.#sql, entries);
  }

  claimOutbox(options: ClaimOptions): Promise<readonly OutboxMessage[]> {
    return Outbox.claimOutbox(this.#sql, options);
  }

  markSent(ids: readonly string[]): Promise<void> {
    return Outbox.markSent(this.#sql, ids);
  }

  outboxSize(): Promise<number> {
    return Outbox.outboxSize(this.#sql);
  }

  async addDeadLetter(letter: DeadLetter): Promise<void> {
    checkDeadLetter(letter);
    return DeadLetters.addDeadLetter(this.#sql, letter);
  }

  getDeadLetter(id: string): Promise<DeadLetter | null> {
    return DeadLetters.getDeadLetter(this.#sql, id);
  }

  listDeadLetters(query?: DeadLetterQuery): Promise<Page<DeadLetter>> {
    return DeadLetters.listDeadLetters(this.#sql, query);
  }

  countDeadLetters(query?: DeadLetterCountQuery): Promise<number> {
    return DeadLetters.countDeadLetters(this.#sql, query);
  }

  async updateDeadLetter(id: string, update: { readonly errorCode: string; readonly errorMessage: string; readonly at: Date }): Promise<boolean> {
    assertStorable(update.errorMessage, 'errorMessage');
    return DeadLetters.updateDeadLetter(this.#sql, id, update);
  }

  deleteDeadLetter(id: string): Promise<boolean> {
    return DeadLetters.deleteDeadLetter(this.#sql, id);
  }

  async claimCommand(claim: { readonly envelope: Envelope; readonly target: string | null; readonly now: Date; readonly leaseUntil: Date }): Promise<CommandClaim> {
    checkEnvelope(claim.envelope);
    if (claim.target !== null) assertStorable(claim.target, 'target');
    return Commands.claimCommand(this.#sql, claim);
  }

  renewCommand(id: string, update: { readonly attempts: number; readonly leaseUntil: Date; readonly now: Date }): Promise<boolean> {
    return Commands.renewCommand(this.#sql, id, update);
  }

  async finishCommand(finish: CommandFinish): Promise<boolean> {
    checkCommandFinish(finish);
    return Commands.finishCommand(this.#sql, finish);
  }

  claimExpiredCommands(options: ExpiredCommandClaim): Promise<readonly CommandRecord[]> {
    return Commands.claimExpiredCommands(this.#sql, options);
  }

  findCommand(id: string): Promise<CommandRecord | null> {
    return Commands.findCommand(this.#sql, id);
  }

  listCommands(query?: CommandQuery): Promise<Page<CommandRecord>> {
    return Commands.listCommands(this.#sql, query);
  }

  /** Releases what the factory opened; a client you passed in stays connected (it is yours). */
  close(): Promise<void> {
    this.#closed ??= this.#onClose?.() ?? Promise.resolve();
    return this.#closed;
  }

  async #query<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    try {
      if (!this.#verified) await this.ready();
      return await this.#client.$queryRawUnsafe<T[]>(sql, ...params);
    } catch (error) {
      throw this.#translate(error);
    }
  }

  async #execute(sql: string, params: readonly unknown[]): Promise<number> {
    try {
      if (!this.#verified) await this.ready();
      return await this.#client.$executeRawUnsafe(sql, ...params);
    } catch (error) {
      throw this.#translate(error);
    }
  }

  /**
   * Tables dropped after start-up surface as the same typed error as at start-up; failures that may pass
   * as `TransientStoreError`, so callers can tell "retry" from "give up" without knowing the driver.
   */
  #translate(error: unknown): unknown {
    if (sqlState(error) === PgErrorCode.UndefinedTable) {
      this.#ready = undefined;
      this.#verified = false;
      return new MissingTablesError(missingTables(error), { cause: error });
    }
    const state = sqlState(error);
    // A value the checks before each write missed (they cover what Sagaflow knows PostgreSQL refuses).
    if (state !== undefined && UNSTORABLE_STATES.has(state)) {
      return new UnstorableValueError('(a value PostgreSQL refused)', `SQLSTATE ${state}`, error);
    }
    const transient = transientFailure(error);
    return transient ? new TransientStoreError(transient.reason, error) : error;
  }
}
