/**
 * @module repository/in-memory-saga-repository
 * A process-local repository for tests, demos and single-process tools. It keeps the same guarantees as
 * the database ones (conditional writes, one history row per write, JSON-only data, loads that are
 * copies), so code that works against it behaves the same on PostgreSQL.
 *
 * Rows are kept flat — data and payloads as JSON strings, times as numbers — because a store that keeps
 * every row of a long run alive should hand the garbage collector as few objects to trace as it can
 * (retained object graphs made young-generation collections dominate the in-memory benchmark).
 */
import { toJsonValue } from '../core/json-value.ts';
import { completedAt, epochTime, loadInstance, storeInstance, storeTime, updateInstance, type StoredInstance } from './in-memory-rows.ts';
import { historyRow, loadHistory, rowSequence } from './in-memory-history.ts';
import { HistoryArena } from './history-arena.ts';
import { hasMessage, historyRows } from './instance-history.ts';
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { DuplicateMessageError } from '../errors/duplicate-message-error.ts';
import { checkCommandFinish, checkCommit, checkEnvelope, checkOutbox } from './check-storable.ts';
import { assertStorable } from '../core/storable.ts';
import { decodeCursor, encodeCursor, pageSize } from './cursor.ts';
import { compareHistoryDesc, decodeHistoryCursor, encodeHistoryCursor } from './history-cursor.ts';
import { InMemoryCommandStore } from './in-memory-command-store.ts';
import { InMemoryDeadLetterStore } from './in-memory-dead-letter-store.ts';
import { InMemoryOutbox, storeOutbox } from './in-memory-outbox.ts';
import { instanceMatcher, type FilterableInstance, type InstanceFilter } from './instance-filter.ts';
import { activityOf, FINISHED, purgeLimit } from './find-helpers.ts';
import type { Envelope } from '../messages/envelope.ts';
import type {
  ClaimOptions,
  CommandClaim,
  CommandFinish,
  CommandQuery,
  CommandRecord,
  ExpiredCommandClaim,
  VersionCount,
  DeadLetter,
  DeadLetterCountQuery,
  DeadLetterGroupCount,
  PurgeBatch,
  PurgeResult,
  SagaActivity,
  DeadLetterQuery,
  OutboxEntry,
  OutboxMessage,
  HistoryRecord,
  LockedInstance,
  HistoryQuery,
  HistoryByTypeQuery,
  InstanceHistoryRecord,
  InstanceQuery,
  Page,
  SagaCommit,
  SagaInstanceRecord,
  SagaRepository,
  StateCount,
} from './types.ts';

const keyOf = (sagaName: string, correlationId: string) => `${sagaName}\u0000${correlationId}`;
const NO_INSTANCES: ReadonlyMap<string, StoredInstance> = new Map();

/** What a filter reads of a stored instance (its rarely set fields unpacked). */
function filterable(s: StoredInstance): FilterableInstance {
  return {
    sagaName: s.sagaName,
    state: s.state,
    status: s.status,
    correlationId: s.correlationId,
    dataVersion: s.dataVersion,
    data: s.data,
    schedules: s.rare?.schedules,
    createdAt: epochTime(s.createdAt),
    updatedAt: epochTime(s.updatedAt),
    completedAt: completedAt(s),
  };
}

/**
 * @example
 * const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository: new InMemorySagaRepository() });
 */
export class InMemorySagaRepository implements SagaRepository {
  /** Saga name → correlation id → instance: no key string made per instance or per lookup. */
  readonly #bySaga = new Map<string, Map<string, StoredInstance>>();
  readonly #byId = new Map<string, StoredInstance>();
  /** Every instance's history rows, outside the JavaScript heap. */
  readonly #arena = new HistoryArena();
  readonly #outbox = new InMemoryOutbox();
  readonly #deadLetters = new InMemoryDeadLetterStore();
  readonly #commands = new InMemoryCommandStore((entries) => {
    this.#outbox.stage(entries);
  });

  async findByCorrelation(sagaName: string, correlationId: string): Promise<SagaInstanceRecord | null> {
    const stored = this.#instances(sagaName).get(correlationId);
    return stored ? loadInstance(stored) : null;
  }

  async findById(id: string): Promise<SagaInstanceRecord | null> {
    const stored = this.#byId.get(id);
    return stored ? loadInstance(stored) : null;
  }

  #instances(sagaName: string): ReadonlyMap<string, StoredInstance> {
    return this.#bySaga.get(sagaName) ?? NO_INSTANCES;
  }

  /** Per locked key, the end of the last lock queued on it (`lockInstance`). */
  readonly #locks = new Map<string, Promise<void>>();

  async lockInstance(sagaName: string, correlationId: string): Promise<LockedInstance> {
    const key = keyOf(sagaName, correlationId);
    const previous = this.#locks.get(key);
    let unlock!: () => void;
    const ended = new Promise<void>((resolve) => (unlock = resolve));
    // Each lock waits for the one queued before it: arrival order, as PostgreSQL's row-lock queue.
    const tail = previous ? previous.then(() => ended) : ended;
    this.#locks.set(key, tail);
    if (previous) await previous;
    const record = await this.findByCorrelation(sagaName, correlationId);
    let open = true;
    const end = () => {
      if (!open) return;
      open = false;
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
      unlock();
    };
    return {
      record,
      commit: async (commit) => {
        if (!open) throw new TypeError('this lock has ended: commit through the repository');
        try {
          this.#apply(commit);
        } finally {
          end();
        }
      },
      release: async () => end(),
    };
  }

  async commit(commit: SagaCommit): Promise<void> {
    // A locked instance is written by its holder first; this write then meets the version it left.
    if (this.#locks.size > 0) {
      const key = keyOf(commit.instance.sagaName, commit.instance.correlationId);
      for (let held = this.#locks.get(key); held !== undefined; held = this.#locks.get(key)) await held;
    }
    this.#apply(commit);
  }

  #apply(commit: SagaCommit): void {
    // Refuses what PostgreSQL would refuse, first, as PostgreSQL does: code that passes here passes there.
    checkCommit(commit);
    const { instance } = commit;
    let instances = this.#bySaga.get(instance.sagaName);
    const existing = instances?.get(instance.correlationId);
    // The inbox is the history.
    if (commit.kind !== 'delete' && existing && hasMessage(this.#arena, existing, commit.history.messageId)) {
      throw new DuplicateMessageError(instance.sagaName, instance.correlationId, commit.history.messageId);
    }
    if (commit.kind === 'insert') {
      if (existing) throw new ConcurrencyError(instance.sagaName, instance.correlationId, 0, 'already created');
    } else if (!existing || existing.id !== instance.id || existing.version !== commit.expectedVersion) {
      throw new ConcurrencyError(
        instance.sagaName,
        instance.correlationId,
        commit.expectedVersion,
        existing ? `stored version is ${existing.version}` : 'instance no longer exists',
      );
    }
    // Everything that can fail is done before the first change: a commit applies whole or not at all.
    const outbox = commit.outbox?.length ? commit.outbox.map((e) => storeOutbox(e, instance.id, Date.now())) : undefined;
    if (commit.kind === 'delete') {
      instances?.delete(instance.correlationId);
      this.#byId.delete(instance.id);
      this.#arena.release(existing!.history);
      this.#compactIfFragmented();
    } else if (existing) {
      updateInstance(this.#arena, existing, instance, historyRow(commit.history), commit.history.messageId);
    } else {
      const stored = storeInstance(this.#arena, instance, historyRow(commit.history), commit.history.messageId);
      if (instances === undefined) this.#bySaga.set(instance.sagaName, (instances = new Map()));
      instances.set(instance.correlationId, stored);
      this.#byId.set(instance.id, stored);
    }
    if (outbox) this.#outbox.put(outbox);
    if (commit.cancelOutbox) this.#outbox.remove(commit.cancelOutbox);
  }

  async stageOutbox(entries: readonly OutboxEntry[]): Promise<void> {
    checkOutbox(entries);
    this.#outbox.stage(entries);
  }

  async claimOutbox(options: ClaimOptions): Promise<readonly OutboxMessage[]> {
    return this.#outbox.claim(options);
  }

  async markSent(ids: readonly string[]): Promise<void> {
    this.#outbox.remove(ids);
  }

  async outboxSize(): Promise<number> {
    return this.#outbox.size;
  }

  async addDeadLetter(letter: DeadLetter): Promise<void> {
    this.#deadLetters.add(letter);
  }

  async getDeadLetter(id: string): Promise<DeadLetter | null> {
    return this.#deadLetters.get(id);
  }

  async listDeadLetters(query?: DeadLetterQuery): Promise<Page<DeadLetter>> {
    return this.#deadLetters.list(query);
  }

  async countDeadLetters(query?: DeadLetterCountQuery): Promise<number> {
    return this.#deadLetters.count(query);
  }

  async countDeadLettersBy(): Promise<readonly DeadLetterGroupCount[]> {
    return this.#deadLetters.countBy();
  }

  async updateDeadLetter(
    id: string,
    update: { readonly errorCode: string; readonly errorMessage: string; readonly at: Date },
  ): Promise<boolean> {
    return this.#deadLetters.update(id, update);
  }

  async deleteDeadLetter(id: string): Promise<boolean> {
    return this.#deadLetters.delete(id);
  }

  async claimCommand(claim: Parameters<SagaRepository['claimCommand']>[0]): Promise<CommandClaim> {
    checkEnvelope(claim.envelope);
    if (claim.target !== null) assertStorable(claim.target, 'target');
    return this.#commands.claim({ ...claim, envelope: toJsonValue(claim.envelope) as Envelope });
  }

  async renewCommand(id: string, update: { readonly attempts: number; readonly leaseUntil: Date; readonly now: Date }): Promise<boolean> {
    return this.#commands.renew(id, update);
  }

  async finishCommand(finish: CommandFinish): Promise<boolean> {
    checkCommandFinish(finish);
    return this.#commands.finish({ ...finish, output: finish.output === undefined ? undefined : toJsonValue(finish.output) });
  }

  async claimExpiredCommands(options: ExpiredCommandClaim): Promise<readonly CommandRecord[]> {
    return this.#commands.claimExpired(options);
  }

  async findCommand(id: string): Promise<CommandRecord | null> {
    return this.#commands.find(id);
  }

  async listCommands(query?: CommandQuery): Promise<Page<CommandRecord>> {
    return this.#commands.list(query);
  }

  async list(query: InstanceQuery = {}): Promise<Page<SagaInstanceRecord>> {
    const limit = pageSize(query.limit);
    const desc = (query.order ?? 'desc') === 'desc';
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const matches = instanceMatcher(query);
    const keep = (r: StoredInstance) => matches(filterable(r));
    // In store times (the cursor's converted too): the same order as epoch times.
    const compare = (a: { updatedAt: number; id: string }, b: { updatedAt: number; id: string }) =>
      a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const rows = [...this.#byId.values()]
      .filter(keep)
      .sort((a, b) => (desc ? -compare(a, b) : compare(a, b)))
      .filter((r) => {
        if (!after) return true;
        const c = compare(r, { updatedAt: storeTime(after.updatedAt), id: after.id });
        return desc ? c < 0 : c > 0;
      });
    const page = rows.slice(0, limit).map(loadInstance);
    const last = page[page.length - 1];
    return { items: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async countInstances(filter: InstanceFilter = {}): Promise<number> {
    const keep = instanceMatcher(filter);
    let count = 0;
    for (const r of this.#byId.values()) if (keep(filterable(r))) count++;
    return count;
  }

  async activitySince(since: Date): Promise<readonly SagaActivity[]> {
    const instances = [...this.#byId.values()].map((s) => ({ id: s.id, sagaName: s.sagaName, status: s.status, updatedAt: epochTime(s.updatedAt), completedAt: completedAt(s) }));
    const historyOf = (id: string) => {
      const owner = this.#byId.get(id);
      if (owner === undefined) return undefined;
      return historyRows(this.#arena, owner).map((row) => {
        const h = loadHistory(id, row);
        return { eventType: h.eventType, at: h.at.getTime() };
      });
    };
    return activityOf(instances, historyOf, this.#deadLetters.json(), since.getTime());
  }

  async purgeFinished(batch: PurgeBatch): Promise<PurgeResult> {
    const limit = purgeLimit(batch.limit);
    const keep = instanceMatcher({ status: FINISHED, completedBefore: batch.finishedBefore, ...(batch.sagaName !== undefined && { sagaName: batch.sagaName }) });
    const except = new Set(batch.exceptSagas ?? []);
    // Oldest finished first, as on PostgreSQL, so repeated batches work through the backlog in order.
    const victims = [...this.#byId.values()]
      .filter((r) => keep(filterable(r)) && !except.has(r.sagaName))
      .sort((a, b) => (completedAt(a) ?? 0) - (completedAt(b) ?? 0))
      .slice(0, limit);
    let history = 0;
    for (const r of victims) {
      history += r.rows;
      this.#byId.delete(r.id);
      this.#bySaga.get(r.sagaName)?.delete(r.correlationId);
      this.#arena.release(r.history);
    }
    this.#compactIfFragmented();
    return { instances: victims.length, history };
  }

  /** After instances were removed: rows of the live ones may keep chunks that are mostly released ones. */
  #compactIfFragmented(): void {
    if (this.#arena.fragmented) this.#arena.compact(this.#byId.values());
  }

  async countByState(sagaName?: string): Promise<readonly StateCount[]> {
    const counts = new Map<string, StateCount>();
    for (const r of this.#byId.values()) {
      if (sagaName !== undefined && r.sagaName !== sagaName) continue;
      const key = `${r.sagaName}\u0000${r.state}\u0000${r.status}`;
      const c = counts.get(key);
      counts.set(key, { sagaName: r.sagaName, state: r.state, status: r.status, count: (c?.count ?? 0) + 1 });
    }
    return [...counts.values()].sort(
      (a, b) => a.sagaName.localeCompare(b.sagaName) || a.state.localeCompare(b.state) || a.status.localeCompare(b.status),
    );
  }

  async countByVersion(sagaName?: string): Promise<readonly VersionCount[]> {
    const counts = new Map<string, VersionCount>();
    for (const r of this.#byId.values()) {
      if (sagaName !== undefined && r.sagaName !== sagaName) continue;
      const key = `${r.sagaName}\u0000${r.dataVersion}\u0000${r.status}`;
      const c = counts.get(key);
      counts.set(key, { sagaName: r.sagaName, definitionVersion: r.dataVersion, status: r.status, count: (c?.count ?? 0) + 1 });
    }
    return [...counts.values()].sort(byVersion);
  }

  async history(instanceId: string, query?: HistoryQuery): Promise<readonly HistoryRecord[]> {
    const owner = this.#byId.get(instanceId);
    if (owner === undefined) return [];
    const rows = historyRows(this.#arena, owner);
    const limit = query === undefined ? rows.length : pageSize(query.limit);
    const before = query?.before ?? Number.POSITIVE_INFINITY;
    let end = rows.length;
    while (end > 0 && rowSequence(rows[end - 1]!) >= before) end--;
    const out: HistoryRecord[] = [];
    for (let i = Math.max(0, end - limit); i < end; i++) out.push(loadHistory(instanceId, rows[i]!));
    return out;
  }

  async historyByType(query: HistoryByTypeQuery): Promise<Page<InstanceHistoryRecord>> {
    const limit = pageSize(query.limit);
    const after = query.cursor === undefined ? undefined : decodeHistoryCursor(query.cursor);
    const found: InstanceHistoryRecord[] = [];
    const owners = query.sagaName === undefined ? this.#byId.values() : (this.#bySaga.get(query.sagaName) ?? NO_INSTANCES).values();
    for (const owner of owners) {
      for (const row of historyRows(this.#arena, owner)) {
        const h = loadHistory(owner.id, row);
        if (!h.eventType.startsWith(query.eventTypePrefix)) continue;
        if (after && compareHistoryDesc({ at: h.at, instanceId: h.instanceId, sequence: h.sequence }, after) <= 0) continue;
        found.push({ ...h, sagaName: owner.sagaName, correlationId: owner.correlationId });
      }
    }
    found.sort(compareHistoryDesc);
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: found.length > limit && last ? encodeHistoryCursor(last) : null };
  }

  async close(): Promise<void> {}
}

/** The order of `countByVersion`, the same in every store. */
export function byVersion(a: VersionCount, b: VersionCount): number {
  return a.sagaName.localeCompare(b.sagaName) || a.definitionVersion - b.definitionVersion || a.status.localeCompare(b.status);
}
