/**
 * @module repository/in-memory-rows
 * How the in-memory store keeps instances. A store that holds a million instances for hours must hand
 * the garbage collector few objects to trace and little memory per instance, and must copy data on every
 * write and every load (loads are copies, as from a database). So:
 * - an instance's data is kept as JSON data of its own (`toJsonValue`), copied on every load: for small
 *   objects a copy in JavaScript costs a third of `JSON.parse` of its text, and data is read every event;
 * - what queries filter on (names, state, status, versions, times) stays a plain field, so a listing
 *   reads no JSON;
 * - a write changes the kept instance in place and shares what did not change with the version before.
 *   With many live instances, each write's new objects outlive several young-generation collections
 *   before the next write to that instance frees them, and copying them is what those collections cost:
 *   a write should leave as few new objects behind as it can.
 */
import { frozenStack } from '../core/deep-freeze.ts';
import { copyJsonValue, toJsonValue } from '../core/json-value.ts';
import { NO_ROW, type HistoryArena } from './history-arena.ts';
import { appendHistory, type HistoryHolder } from './instance-history.ts';
import type { CompensationEntry, InstanceError, JoinProgress, SagaInstanceRecord, SagaStatus, ScheduleEntry } from './types.ts';

/** Changed only by `updateInstance`, in the store's own synchronous write. */
export interface StoredInstance extends HistoryHolder {
  readonly id: string;
  readonly sagaName: string;
  readonly correlationId: string;
  state: string;
  /**
   * The data as JSON would carry it (`toJsonValue`): exactly what a database would keep. Never handed out
   * and never changed, so unchanged parts are shared between versions.
   */
  data: unknown;
  dataVersion: number;
  version: number;
  status: SagaStatus;
  /** Deeply frozen, so it is shared with loaded records rather than copied. */
  compensation: readonly CompensationEntry[];
  /** Store times (`storeTime`), not epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
  /** What most instances lack (an error, schedules, joins, an end): one field instead of four. */
  rare: RareFields | undefined;
}

/**
 * Times are kept as milliseconds since this module loaded. For 24 days those are small integers, which
 * V8 keeps inside the object; an epoch timestamp is a heap number of its own, 16 bytes more per time
 * and one more object per write. A time outside that range is an ordinary number and works the same.
 */
const ORIGIN = Date.now();
export function storeTime(at: Date): number {
  const t = at.getTime() - ORIGIN;
  // Arithmetic leaves a heap number even for an integer: `| 0` is what makes it a small one.
  return (t | 0) === t ? t | 0 : t;
}
export const epochTime = (time: number): number => time + ORIGIN;

interface RareFields {
  readonly error: InstanceError | null;
  /** Deeply frozen, shared with loaded records like the stack; `undefined` for none. */
  readonly schedules: readonly ScheduleEntry[] | undefined;
  /** Deeply frozen and shared likewise; `undefined` for no join under way. */
  readonly joins: JoinProgress | undefined;
  readonly completedAt: number | null;
}

/** A new instance as the store keeps it, with its first history row (of message `messageId`). */
export function storeInstance(arena: HistoryArena, r: SagaInstanceRecord, row: string, messageId: string): StoredInstance {
  const s: StoredInstance = {
    id: r.id,
    sagaName: r.sagaName,
    correlationId: r.correlationId,
    state: r.state,
    data: toJsonValue(r.data) ?? null,
    dataVersion: r.dataVersion,
    version: r.version,
    status: r.status,
    compensation: frozenStack(r.compensation),
    createdAt: storeTime(r.createdAt),
    updatedAt: storeTime(r.updatedAt),
    rare: rareFields(r),
    history: NO_ROW,
    rows: 0,
    seen: undefined,
  };
  appendHistory(arena, s, row, messageId);
  return s;
}

/**
 * Writes the next version `r` over the kept instance `s`, with `row` (of message `messageId`) appended
 * to its history. Everything that can throw comes before the first change, and the append last: a write
 * applies whole or not at all.
 */
export function updateInstance(arena: HistoryArena, s: StoredInstance, r: SagaInstanceRecord, row: string, messageId: string): void {
  const data = toJsonValue(r.data, s.data) ?? null;
  const compensation = frozenStack(r.compensation);
  const rare = rareFields(r);
  s.state = r.state;
  s.data = data;
  s.dataVersion = r.dataVersion;
  s.version = r.version;
  s.status = r.status;
  s.compensation = compensation;
  s.createdAt = storeTime(r.createdAt);
  s.updatedAt = storeTime(r.updatedAt);
  s.rare = rare;
  appendHistory(arena, s, row, messageId);
}

function rareFields(r: SagaInstanceRecord): RareFields | undefined {
  const schedules = r.schedules?.length ? frozenSchedules(r.schedules) : undefined;
  const joins = r.joins && Object.keys(r.joins).length ? frozenJoins(r.joins) : undefined;
  if (r.error === null && schedules === undefined && joins === undefined && r.completedAt === null) return undefined;
  return {
    error: r.error ? Object.freeze({ ...r.error, at: new Date(r.error.at) }) : null,
    schedules,
    joins,
    completedAt: r.completedAt ? r.completedAt.getTime() : null,
  };
}

/** When the instance finished, or `null`. */
export function completedAt(s: StoredInstance): number | null {
  return s.rare?.completedAt ?? null;
}

export function loadInstance(s: StoredInstance): SagaInstanceRecord {
  const rare = s.rare;
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
    error: rare?.error ? { ...rare.error, at: new Date(rare.error.at) } : null,
    schedules: rare?.schedules && rare.schedules.map((e) => ({ ...e, dueAt: new Date(e.dueAt) })),
    joins: rare?.joins,
    createdAt: new Date(epochTime(s.createdAt)),
    updatedAt: new Date(epochTime(s.updatedAt)),
    completedAt: rare?.completedAt == null ? null : new Date(rare.completedAt),
  };
}

/** The data of a stored instance, as a fresh copy (for filters that look into it). */
export function storedData(s: StoredInstance): unknown {
  return copyJsonValue(s.data);
}

function frozenSchedules(entries: readonly ScheduleEntry[]): readonly ScheduleEntry[] {
  return Object.freeze(
    entries.map((e) =>
      Object.freeze({ key: e.key, token: e.token, type: e.type, dueAt: new Date(e.dueAt), ...(e.requestId !== undefined && { requestId: e.requestId }) }),
    ),
  );
}

/** The orchestrator hands over frozen joins, which are kept as they are; anything else is copied. */
function frozenJoins(joins: JoinProgress): JoinProgress {
  if (Object.isFrozen(joins) && Object.values(joins).every(Object.isFrozen)) return joins;
  return Object.freeze(Object.fromEntries(Object.entries(joins).map(([k, v]) => [k, Object.freeze([...v])])));
}

