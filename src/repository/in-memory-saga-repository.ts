/**
 * @module repository/in-memory-saga-repository
 * A process-local repository for tests, demos and single-process tools. It keeps the same guarantees as
 * the database ones (conditional writes, one history row per write, JSON-only data), so code that works
 * against it behaves the same on PostgreSQL.
 */
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { decodeCursor, encodeCursor, pageSize } from './cursor.ts';
import type {
  CompensationEntry,
  HistoryRecord,
  InstanceQuery,
  Page,
  SagaCommit,
  SagaInstanceRecord,
  SagaRepository,
  StateCount,
} from './types.ts';

interface Stored {
  /** Records are immutable values: the orchestrator builds a new one for every write. */
  readonly record: SagaInstanceRecord;
  /**
   * `data` is the one part user code mutates, so it is kept serialised: every load gets its own copy,
   * exactly as from a database, and only JSON survives, as in PostgreSQL.
   */
  readonly dataJson: string;
}

const keyOf = (sagaName: string, correlationId: string) => `${sagaName}\u0000${correlationId}`;

/**
 * @example
 * const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository: new InMemorySagaRepository() });
 */
export class InMemorySagaRepository implements SagaRepository {
  readonly #byKey = new Map<string, Stored>();
  readonly #byId = new Map<string, Stored>();
  readonly #history = new Map<string, StoredHistory[]>();

  async findByCorrelation(sagaName: string, correlationId: string): Promise<SagaInstanceRecord | null> {
    return thaw(this.#byKey.get(keyOf(sagaName, correlationId)));
  }

  async findById(id: string): Promise<SagaInstanceRecord | null> {
    return thaw(this.#byId.get(id));
  }

  async commit(commit: SagaCommit): Promise<void> {
    const { instance } = commit;
    const key = keyOf(instance.sagaName, instance.correlationId);
    const existing = this.#byKey.get(key);
    if (commit.kind === 'insert') {
      if (existing) throw new ConcurrencyError(instance.sagaName, instance.correlationId, 0, 'already created');
    } else if (!existing || existing.record.id !== instance.id || existing.record.version !== commit.expectedVersion) {
      throw new ConcurrencyError(
        instance.sagaName,
        instance.correlationId,
        commit.expectedVersion,
        existing ? `stored version is ${existing.record.version}` : 'instance no longer exists',
      );
    }
    if (commit.kind === 'delete') {
      this.#byKey.delete(key);
      this.#byId.delete(instance.id);
      this.#history.delete(instance.id);
      return;
    }
    const stored = freeze(instance);
    this.#byKey.set(key, stored);
    this.#byId.set(instance.id, stored);
    const row = freezeHistory(commit.history);
    const history = this.#history.get(instance.id);
    if (history) history.push(row);
    else this.#history.set(instance.id, [row]);
  }

  async list(query: InstanceQuery = {}): Promise<Page<SagaInstanceRecord>> {
    const limit = pageSize(query.limit);
    const desc = (query.order ?? 'desc') === 'desc';
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const statuses = query.status === undefined ? undefined : new Set([query.status].flat());
    const rows = [...this.#byId.values()]
      .map((s) => s.record)
      .filter(
        (r) =>
          (query.sagaName === undefined || r.sagaName === query.sagaName) &&
          (query.state === undefined || r.state === query.state) &&
          (statuses === undefined || statuses.has(r.status)) &&
          (query.correlationId === undefined || r.correlationId === query.correlationId) &&
          (query.updatedBefore === undefined || r.updatedAt < query.updatedBefore),
      )
      .sort((a, b) => {
        const c = a.updatedAt.getTime() - b.updatedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        return desc ? -c : c;
      })
      .filter((r) => {
        if (!after) return true;
        const c = r.updatedAt.getTime() - after.updatedAt.getTime() || (r.id < after.id ? -1 : r.id > after.id ? 1 : 0);
        return desc ? c < 0 : c > 0;
      });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => thaw(this.#byId.get(r.id))!),
      nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    };
  }

  async countByState(sagaName?: string): Promise<readonly StateCount[]> {
    const counts = new Map<string, StateCount>();
    for (const { record: r } of this.#byId.values()) {
      if (sagaName !== undefined && r.sagaName !== sagaName) continue;
      const key = `${r.sagaName}\u0000${r.state}\u0000${r.status}`;
      const c = counts.get(key);
      counts.set(key, { sagaName: r.sagaName, state: r.state, status: r.status, count: (c?.count ?? 0) + 1 });
    }
    return [...counts.values()].sort(
      (a, b) => a.sagaName.localeCompare(b.sagaName) || a.state.localeCompare(b.state) || a.status.localeCompare(b.status),
    );
  }

  async history(instanceId: string): Promise<readonly HistoryRecord[]> {
    return (this.#history.get(instanceId) ?? []).map(thawHistory);
  }

  async close(): Promise<void> {}
}

function freeze(instance: SagaInstanceRecord): Stored {
  const record: SagaInstanceRecord = {
    ...instance,
    data: undefined,
    // Entries are small immutable values; freezing them is what keeps a caller from changing the store.
    compensation: Object.freeze(instance.compensation.map(freezeEntry)),
    error: instance.error ? Object.freeze({ ...instance.error, at: new Date(instance.error.at) }) : null,
    createdAt: new Date(instance.createdAt),
    updatedAt: new Date(instance.updatedAt),
    completedAt: instance.completedAt ? new Date(instance.completedAt) : null,
  };
  return { record, dataJson: JSON.stringify(instance.data) };
}

function freezeEntry(entry: CompensationEntry): CompensationEntry {
  return Object.isFrozen(entry) ? entry : Object.freeze({ ...entry, args: deepFreeze(structuredClone(entry.args)) });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * History rows are kept flat (payload as JSON, time as a number): a store that keeps every row of a
 * long run alive should hand the garbage collector as few objects to trace as it can.
 */
interface StoredHistory extends Omit<HistoryRecord, 'payload' | 'at'> {
  readonly payloadJson: string;
  readonly at: number;
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
  };
}

/** Dates are handed out as fresh objects: a Date is mutable, and a caller's setTime must not reach the store. */
function thaw(stored: Stored | undefined): SagaInstanceRecord | null {
  if (stored === undefined) return null;
  const r = stored.record;
  return {
    ...r,
    data: JSON.parse(stored.dataJson),
    error: r.error ? { ...r.error, at: new Date(r.error.at) } : null,
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    completedAt: r.completedAt ? new Date(r.completedAt) : null,
  };
}
