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
import { frozenStack } from '../core/deep-freeze.ts';
import { copyJsonValue, toJsonValue } from '../core/json-value.ts';
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { DuplicateMessageError } from '../errors/duplicate-message-error.ts';
import { checkCommandFinish, checkCommit, checkDeadLetter, checkEnvelope, checkOutbox } from './check-storable.ts';
import { assertStorable } from '../core/storable.ts';
import { decodeCursor, encodeCursor, pageSize } from './cursor.ts';
import { InMemoryCommandStore } from './in-memory-command-store.ts';
import type { Envelope } from '../messages/envelope.ts';
import type {
  ClaimOptions,
  CommandClaim,
  CommandFinish,
  CommandQuery,
  CommandRecord,
  ExpiredCommandClaim,
  CompensationEntry,
  VersionCount,
  DeadLetter,
  DeadLetterCountQuery,
  DeadLetterQuery,
  OutboxEntry,
  OutboxMessage,
  HistoryRecord,
  LockedInstance,
  HistoryQuery,
  SentMessage,
  InstanceError,
  InstanceQuery,
  JoinProgress,
  ScheduleEntry,
  Page,
  SagaCommit,
  SagaInstanceRecord,
  SagaRepository,
  SagaStatus,
  StateCount,
} from './types.ts';

interface StoredInstance {
  readonly id: string;
  readonly sagaName: string;
  readonly correlationId: string;
  readonly state: string;
  /** The one part user code mutates: kept as JSON data of its own, and copied for every load. */
  readonly data: unknown;
  readonly dataVersion: number;
  readonly version: number;
  readonly status: SagaStatus;
  /** Deeply frozen, so it is shared with loaded records rather than copied. */
  readonly compensation: readonly CompensationEntry[];
  readonly error: InstanceError | null;
  /** Deeply frozen, shared with loaded records like the stack; `undefined` for none. */
  readonly schedules: readonly ScheduleEntry[] | undefined;
  /** Deeply frozen and shared likewise; `undefined` for no join under way. */
  readonly joins: JoinProgress | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly completedAt: number | null;
}

interface StoredHistory {
  readonly instanceId: string;
  readonly sequence: number;
  readonly messageId: string;
  readonly eventType: string;
  readonly stateBefore: string | null;
  readonly stateAfter: string;
  readonly payloadJson: string;
  readonly at: number;
  readonly sent: readonly SentMessage[] | undefined;
}

const keyOf = (sagaName: string, correlationId: string) => `${sagaName}\u0000${correlationId}`;

/**
 * @example
 * const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository: new InMemorySagaRepository() });
 */
export class InMemorySagaRepository implements SagaRepository {
  readonly #byKey = new Map<string, StoredInstance>();
  readonly #byId = new Map<string, StoredInstance>();
  readonly #history = new Map<string, StoredHistory[]>();
  /** Insertion order is id order for UUIDv7 ids made in this process, which is what a relay wants. */
  readonly #outbox = new Map<string, StoredOutbox>();
  readonly #deadLetters = new Map<string, string>();
  readonly #commands = new InMemoryCommandStore((entries) => {
    for (const o of entries.map((e) => storeOutbox(e, null, Date.now()))) if (!this.#outbox.has(o.id)) this.#outbox.set(o.id, o);
  });

  async findByCorrelation(sagaName: string, correlationId: string): Promise<SagaInstanceRecord | null> {
    const stored = this.#byKey.get(keyOf(sagaName, correlationId));
    return stored ? thaw(stored) : null;
  }

  async findById(id: string): Promise<SagaInstanceRecord | null> {
    const stored = this.#byId.get(id);
    return stored ? thaw(stored) : null;
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
    const key = keyOf(instance.sagaName, instance.correlationId);
    const existing = this.#byKey.get(key);
    // The inbox is the history: an instance has few rows, and a scan allocates nothing.
    if (commit.kind !== 'delete' && existing && hasMessage(this.#history.get(existing.id), commit.history.messageId)) {
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
      this.#byKey.delete(key);
      this.#byId.delete(instance.id);
      this.#history.delete(instance.id);
    } else {
      const stored = freeze(instance);
      const row = freezeHistory(commit.history);
      this.#byKey.set(key, stored);
      this.#byId.set(instance.id, stored);
      const history = this.#history.get(instance.id);
      if (history) history.push(row);
      else this.#history.set(instance.id, [row]);
    }
    if (outbox) for (const o of outbox) this.#outbox.set(o.id, o);
    if (commit.cancelOutbox) for (const id of commit.cancelOutbox) this.#outbox.delete(id);
  }

  async stageOutbox(entries: readonly OutboxEntry[]): Promise<void> {
    checkOutbox(entries);
    const stored = entries.map((e) => storeOutbox(e, null, Date.now()));
    for (const o of stored) if (!this.#outbox.has(o.id)) this.#outbox.set(o.id, o);
  }

  async claimOutbox(options: ClaimOptions): Promise<readonly OutboxMessage[]> {
    const now = 'leaseMs' in options ? Date.now() : options.now.getTime();
    const leaseUntil = 'leaseMs' in options ? now + options.leaseMs : options.leaseUntil.getTime();
    const claimed: OutboxMessage[] = [];
    const due = [...this.#outbox.values()].filter((o) => o.availableAt <= now).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const o of due.slice(0, options.limit)) {
      const next: StoredOutbox = { ...o, availableAt: leaseUntil, attempts: o.attempts + 1 };
      this.#outbox.set(o.id, next);
      claimed.push(thawOutbox(next));
    }
    return claimed;
  }

  async markSent(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.#outbox.delete(id);
  }

  async outboxSize(): Promise<number> {
    return this.#outbox.size;
  }

  async addDeadLetter(letter: DeadLetter): Promise<void> {
    checkDeadLetter(letter);
    if (this.#deadLetters.has(letter.id)) throw new RangeError(`dead letter '${letter.id}' exists`);
    this.#deadLetters.set(letter.id, JSON.stringify(letter));
  }

  async getDeadLetter(id: string): Promise<DeadLetter | null> {
    const json = this.#deadLetters.get(id);
    return json === undefined ? null : thawDeadLetter(json);
  }

  async listDeadLetters(query: DeadLetterQuery = {}): Promise<Page<DeadLetter>> {
    const limit = pageSize(query.limit);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const rows = [...this.#deadLetters.values()]
      .map(thawDeadLetter)
      .filter(
        (d) =>
          (query.reason === undefined || d.reason === query.reason) &&
          (query.sagaName === undefined || d.sagaName === query.sagaName) &&
          (query.messageType === undefined || d.messageType === query.messageType),
      )
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .filter((d) => {
        if (!after) return true;
        const c = d.createdAt.getTime() - after.updatedAt.getTime();
        return c > 0 || (c === 0 && d.id > after.id);
      });
    const page = rows.slice(0, limit);
    const items = query.withoutEnvelope ? page.map((d) => ({ ...d, envelope: undefined })) : page;
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ updatedAt: last.createdAt, id: last.id }) : null };
  }

  async countDeadLetters(query: DeadLetterCountQuery = {}): Promise<number> {
    let count = 0;
    for (const json of this.#deadLetters.values()) {
      const d = thawDeadLetter(json);
      if (
        (query.reason === undefined || d.reason === query.reason) &&
        (query.sagaName === undefined || d.sagaName === query.sagaName) &&
        (query.messageType === undefined || d.messageType === query.messageType)
      ) {
        count++;
      }
    }
    return count;
  }

  async updateDeadLetter(
    id: string,
    update: { readonly errorCode: string; readonly errorMessage: string; readonly at: Date },
  ): Promise<boolean> {
    assertStorable(update.errorMessage, 'errorMessage');
    const json = this.#deadLetters.get(id);
    if (json === undefined) return false;
    const letter = thawDeadLetter(json);
    const next: DeadLetter = { ...letter, errorCode: update.errorCode, errorMessage: update.errorMessage, replays: letter.replays + 1, updatedAt: update.at };
    this.#deadLetters.set(id, JSON.stringify(next));
    return true;
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
    const statuses = query.status === undefined ? undefined : new Set([query.status].flat());
    const before = query.updatedBefore?.getTime();
    const compare = (a: { updatedAt: number; id: string }, b: { updatedAt: number; id: string }) =>
      a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const rows = [...this.#byId.values()]
      .filter(
        (r) =>
          (query.sagaName === undefined || r.sagaName === query.sagaName) &&
          (query.state === undefined || r.state === query.state) &&
          (statuses === undefined || statuses.has(r.status)) &&
          (query.correlationId === undefined || r.correlationId === query.correlationId) &&
          (before === undefined || r.updatedAt < before) &&
          (query.definitionVersion === undefined || r.dataVersion === query.definitionVersion) &&
          (query.definitionVersionBelow === undefined || r.dataVersion < query.definitionVersionBelow),
      )
      .sort((a, b) => (desc ? -compare(a, b) : compare(a, b)))
      .filter((r) => {
        if (!after) return true;
        const c = compare(r, { updatedAt: after.updatedAt.getTime(), id: after.id });
        return desc ? c < 0 : c > 0;
      });
    const page = rows.slice(0, limit).map(thaw);
    const last = page[page.length - 1];
    return { items: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
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
    const rows = this.#history.get(instanceId) ?? [];
    if (query === undefined) return rows.map(thawHistory);
    const limit = pageSize(query.limit);
    const before = query.before ?? Number.POSITIVE_INFINITY;
    let end = rows.length;
    while (end > 0 && rows[end - 1]!.sequence >= before) end--;
    return rows.slice(Math.max(0, end - limit), end).map(thawHistory);
  }

  async close(): Promise<void> {}
}

function hasMessage(history: readonly StoredHistory[] | undefined, messageId: string): boolean {
  if (history === undefined) return false;
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.messageId === messageId) return true;
  return false;
}

interface StoredOutbox {
  readonly id: string;
  readonly envelopeJson: string;
  readonly instanceId: string | null;
  readonly availableAt: number;
  readonly attempts: number;
  readonly createdAt: number;
}

function storeOutbox(e: OutboxEntry, instanceId: string | null, now: number): StoredOutbox {
  const envelopeJson = JSON.stringify(e.envelope);
  if (envelopeJson === undefined) throw new TypeError(`outbox entry '${e.id}' has no JSON envelope`);
  return { id: e.id, envelopeJson, instanceId, availableAt: e.availableAt.getTime(), attempts: 0, createdAt: now };
}

function thawOutbox(o: StoredOutbox): OutboxMessage {
  return {
    id: o.id,
    envelope: JSON.parse(o.envelopeJson),
    availableAt: new Date(o.availableAt),
    attempts: o.attempts,
    createdAt: new Date(o.createdAt),
  };
}

function thawDeadLetter(json: string): DeadLetter {
  const d = JSON.parse(json) as DeadLetter & { createdAt: string; updatedAt: string };
  return { ...d, createdAt: new Date(d.createdAt), updatedAt: new Date(d.updatedAt) };
}

function freeze(r: SagaInstanceRecord): StoredInstance {
  return {
    id: r.id,
    sagaName: r.sagaName,
    correlationId: r.correlationId,
    state: r.state,
    data: toJsonValue(r.data) ?? null,
    dataVersion: r.dataVersion,
    version: r.version,
    status: r.status,
    compensation: frozenStack(r.compensation),
    error: r.error ? Object.freeze({ ...r.error, at: new Date(r.error.at) }) : null,
    schedules: r.schedules?.length ? frozenSchedules(r.schedules) : undefined,
    joins: r.joins && Object.keys(r.joins).length ? frozenJoins(r.joins) : undefined,
    createdAt: r.createdAt.getTime(),
    updatedAt: r.updatedAt.getTime(),
    completedAt: r.completedAt ? r.completedAt.getTime() : null,
  };
}

function frozenSchedules(entries: readonly ScheduleEntry[]): readonly ScheduleEntry[] {
  return Object.freeze(
    entries.map((e) =>
      Object.freeze({ key: e.key, token: e.token, type: e.type, dueAt: new Date(e.dueAt), ...(e.requestId !== undefined && { requestId: e.requestId }) }),
    ),
  );
}

/** The orchestrator hands over frozen lists of sent messages, which are kept as they are; anything else is copied. */
function frozenSent(sent: readonly SentMessage[]): readonly SentMessage[] {
  if (Object.isFrozen(sent) && sent.every(Object.isFrozen)) return sent;
  return Object.freeze(sent.map((m) => Object.freeze({ messageId: m.messageId, type: m.type, kind: m.kind })));
}

/** The orchestrator hands over frozen joins, which are kept as they are; anything else is copied. */
function frozenJoins(joins: JoinProgress): JoinProgress {
  if (Object.isFrozen(joins) && Object.values(joins).every(Object.isFrozen)) return joins;
  return Object.freeze(Object.fromEntries(Object.entries(joins).map(([k, v]) => [k, Object.freeze([...v])])));
}

function thaw(s: StoredInstance): SagaInstanceRecord {
  return {
    id: s.id,
    sagaName: s.sagaName,
    correlationId: s.correlationId,
    state: s.state,
    data: copyJsonValue(s.data),
    dataVersion: s.dataVersion,
    version: s.version,
    status: s.status,
    compensation: s.compensation,
    // A Date is mutable: hand out a fresh one.
    error: s.error ? { ...s.error, at: new Date(s.error.at) } : null,
    schedules: s.schedules && s.schedules.map((e) => ({ ...e, dueAt: new Date(e.dueAt) })),
    joins: s.joins,
    createdAt: new Date(s.createdAt),
    updatedAt: new Date(s.updatedAt),
    completedAt: s.completedAt === null ? null : new Date(s.completedAt),
  };
}

function freezeHistory(h: HistoryRecord): StoredHistory {
  return {
    instanceId: h.instanceId,
    sequence: h.sequence,
    messageId: h.messageId,
    eventType: h.eventType,
    stateBefore: h.stateBefore,
    stateAfter: h.stateAfter,
    payloadJson: JSON.stringify(h.payload) ?? 'null',
    at: h.at.getTime(),
    sent: h.sent?.length ? frozenSent(h.sent) : undefined,
  };
}

function thawHistory(h: StoredHistory): HistoryRecord {
  return {
    instanceId: h.instanceId,
    sequence: h.sequence,
    messageId: h.messageId,
    eventType: h.eventType,
    stateBefore: h.stateBefore,
    stateAfter: h.stateAfter,
    payload: JSON.parse(h.payloadJson),
    at: new Date(h.at),
    ...(h.sent && { sent: h.sent }),
  };
}

/** The order of `countByVersion`, the same in every store. */
export function byVersion(a: VersionCount, b: VersionCount): number {
  return a.sagaName.localeCompare(b.sagaName) || a.definitionVersion - b.definitionVersion || a.status.localeCompare(b.status);
}
