/**
 * @module prisma/row-mapping
 *
 * Converts between the port's records and SQL parameters / result rows. JSON goes over the wire as text
 * (see `sql.ts`); timestamps as ISO strings cast to `timestamptz(3)`, which keeps JavaScript's millisecond
 * precision exactly.
 */
import type {
  CompensationEntry,
  ScheduleEntry,
  HistoryRecord,
  InstanceError,
  JoinProgress,
  SagaCommit,
  SagaInstanceRecord,
  SagaStatus,
  SentMessage,
} from '../repository/types.ts';

/** A `sagaflow_instances` row as selected by `INSTANCE_COLUMNS`. */
export interface InstanceRow {
  id: string;
  saga_name: string;
  correlation_id: string;
  state: string;
  data: string;
  data_version: number | bigint;
  version: number | bigint;
  status: string;
  compensation: string;
  error: string | null;
  schedules: string;
  created_at: Date | string;
  updated_at: Date | string;
  completed_at: Date | string | null;
  joins: string | null;
}

/** A `sagaflow_history` row as selected by `HISTORY_COLUMNS`. */
export interface HistoryRow {
  instance_id: string;
  sequence: number | bigint;
  message_id: string;
  event_type: string;
  state_before: string | null;
  state_after: string;
  payload: string;
  at: Date | string;
  sent: string | null;
}

/** `jsonb` cannot hold `undefined`; it is stored as JSON null, as `JSON.stringify` does inside arrays. */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

export function iso(date: Date): string {
  return date.toISOString();
}

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** `InstanceError.at` is a Date in the port and an ISO string inside the `error` JSON. */
function parseError(text: string | null): InstanceError | null {
  if (text === null) return null;
  const raw = JSON.parse(text) as (Omit<InstanceError, 'at'> & { at: string }) | null;
  return raw === null ? null : { ...raw, at: new Date(raw.at) };
}

export function rowToInstance(row: InstanceRow): SagaInstanceRecord {
  return {
    id: row.id,
    sagaName: row.saga_name,
    correlationId: row.correlation_id,
    state: row.state,
    data: JSON.parse(row.data) as unknown,
    dataVersion: Number(row.data_version),
    version: Number(row.version),
    status: row.status as SagaStatus,
    compensation: JSON.parse(row.compensation) as CompensationEntry[],
    error: parseError(row.error),
    schedules: parseSchedules(JSON.parse(row.schedules ?? '[]') as StoredSchedule[]),
    joins: row.joins === null || row.joins === undefined ? undefined : parseJoins(JSON.parse(row.joins) as JoinProgress | null),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    completedAt: row.completed_at === null ? null : toDate(row.completed_at),
  };
}

export function rowToHistory(row: HistoryRow): HistoryRecord {
  return {
    instanceId: row.instance_id,
    sequence: Number(row.sequence),
    messageId: row.message_id,
    eventType: row.event_type,
    stateBefore: row.state_before,
    stateAfter: row.state_after,
    payload: JSON.parse(row.payload) as unknown,
    at: toDate(row.at),
    ...(row.sent !== null && row.sent !== undefined && { sent: JSON.parse(row.sent) as SentMessage[] }),
  };
}

/** A `sagaflow_instances` row as `row_to_json` renders it: JSON columns as JSON, timestamps as ISO text. */
export interface InstanceJson {
  id: string;
  saga_name: string;
  correlation_id: string;
  state: string;
  data: unknown;
  data_version: number;
  version: number;
  status: string;
  compensation: CompensationEntry[];
  error: (Omit<InstanceError, 'at'> & { at: string }) | null;
  schedules: StoredSchedule[] | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  joins?: JoinProgress | null;
}

export function jsonToInstance(row: InstanceJson): SagaInstanceRecord {
  return {
    id: row.id,
    sagaName: row.saga_name,
    correlationId: row.correlation_id,
    state: row.state,
    data: row.data,
    dataVersion: row.data_version,
    version: row.version,
    status: row.status as SagaStatus,
    compensation: row.compensation,
    error: row.error === null ? null : { ...row.error, at: new Date(row.error.at) },
    schedules: parseSchedules(row.schedules ?? []),
    joins: parseJoins(row.joins),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    completedAt: row.completed_at === null ? null : new Date(row.completed_at),
  };
}

/** A `ScheduleEntry` inside the `schedules` JSON, its due time an ISO string. */
type StoredSchedule = Omit<ScheduleEntry, 'dueAt'> & { dueAt: string };

/** The record's `schedules`, undefined when there are none (as the port allows). */
function parseSchedules(stored: readonly StoredSchedule[]): ScheduleEntry[] | undefined {
  return stored.length === 0 ? undefined : stored.map((e) => ({ ...e, dueAt: new Date(e.dueAt) }));
}

/** The `schedules` column: JSON, `[]` for none. */
export function schedulesJson(i: SagaInstanceRecord): string {
  return i.schedules?.length ? toJson(i.schedules) : '[]';
}

/** The record's `joins`, undefined when none is under way (NULL, JSON null or `{}`). */
function parseJoins(stored: JoinProgress | null | undefined): JoinProgress | undefined {
  return stored === null || stored === undefined || Object.keys(stored).length === 0 ? undefined : stored;
}

/** The `joins` column: JSON, NULL when no join is under way. */
export function joinsJson(i: SagaInstanceRecord): string | null {
  return i.joins !== undefined && Object.keys(i.joins).length > 0 ? toJson(i.joins) : null;
}

/** The outbox ids a commit deletes, as a `uuid[]` parameter; null for none. */
export function cancelParam(commit: SagaCommit): readonly string[] | null {
  return commit.cancelOutbox?.length ? commit.cancelOutbox : null;
}

/** The mutable columns of an instance, in `UPDATE_COMMIT` order ($3…$11). */
export function mutableParams(i: SagaInstanceRecord, dataJson: string = toJson(i.data)): unknown[] {
  return [
    i.state,
    dataJson,
    i.dataVersion,
    i.version,
    i.status,
    toJson(i.compensation),
    i.error === null ? null : toJson(i.error),
    iso(i.updatedAt),
    i.completedAt === null ? null : iso(i.completedAt),
  ];
}

/** History columns in commit order: message_id, event_type, state_before, state_after, payload, at, sequence. */
export function historyParams(h: HistoryRecord): unknown[] {
  return [h.messageId, h.eventType, h.stateBefore, h.stateAfter, toJson(h.payload), iso(h.at), h.sequence];
}

/** The history row's `sent` column: JSON, NULL for none. */
export function sentJson(h: HistoryRecord): string | null {
  return h.sent?.length ? toJson(h.sent) : null;
}

/** An insert or an update: the commits that can share a group-commit statement. */
export type BatchableCommit = Extract<SagaCommit, { history: HistoryRecord }>;

/**
 * A commit with its instance data serialised once, for the statement and the instance cache alike, and
 * its outbox entries serialised (`outboxJson`, null for none).
 */
export interface PreparedCommit<C extends SagaCommit = BatchableCommit> {
  readonly commit: C;
  readonly dataJson: string;
  readonly outboxJson: string | null;
}

/**
 * `BATCH_COMMIT`'s one parameter: a JSON array of flat objects, `ord` being the 1-based position, with
 * `outbox` only when the commit has messages. Dates serialise as ISO strings, as `iso()` writes them.
 */
export function batchParam(commits: readonly PreparedCommit[]): string {
  // Written out by hand rather than JSON.stringify of objects: the data was serialised once already (the
  // instance cache keeps that same string), and this runs for every event at the database's pace.
  let out = '[';
  for (let k = 0; k < commits.length; k++) {
    const { commit, dataJson, outboxJson } = commits[k]!;
    const { instance: i, history: h } = commit;
    out +=
      (k === 0 ? '{"ord":' : ',{"ord":') +
      (k + 1) +
      ',"id":' + JSON.stringify(i.id) +
      ',"saga_name":' + JSON.stringify(i.sagaName) +
      ',"correlation_id":' + JSON.stringify(i.correlationId) +
      ',"expected":' + (commit.kind === 'update' ? commit.expectedVersion : 'null') +
      ',"state":' + JSON.stringify(i.state) +
      ',"data":' + dataJson +
      ',"data_version":' + i.dataVersion +
      ',"version":' + i.version +
      ',"status":' + JSON.stringify(i.status) +
      ',"compensation":' + toJson(i.compensation) +
      ',"error":' + (i.error === null ? 'null' : toJson(i.error)) +
      ',"updated_at":"' + iso(i.updatedAt) +
      '","completed_at":' + (i.completedAt === null ? 'null' : `"${iso(i.completedAt)}"`) +
      ',"created_at":"' + iso(i.createdAt) +
      '","message_id":' + JSON.stringify(h.messageId) +
      ',"event_type":' + JSON.stringify(h.eventType) +
      ',"state_before":' + (h.stateBefore === null ? 'null' : JSON.stringify(h.stateBefore)) +
      ',"state_after":' + JSON.stringify(h.stateAfter) +
      ',"payload":' + toJson(h.payload) +
      ',"at":"' + iso(h.at) +
      '","sequence":' + h.sequence +
      (i.schedules?.length ? ',"schedules":' + toJson(i.schedules) : '') +
      (h.sent?.length ? ',"sent":' + toJson(h.sent) : '') +
      (i.joins !== undefined && Object.keys(i.joins).length > 0 ? ',"joins":' + toJson(i.joins) : '') +
      (commit.cancelOutbox?.length ? ',"cancel":' + JSON.stringify(commit.cancelOutbox) : '') +
      (outboxJson === null ? '}' : ',"outbox":' + outboxJson + '}');
  }
  return out + ']';
}
