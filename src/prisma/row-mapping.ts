/**
 * @module prisma/row-mapping
 *
 * Converts between the port's records and SQL parameters / result rows. JSON goes over the wire as text
 * (see `sql.ts`); timestamps as ISO strings cast to `timestamptz(3)`, which keeps JavaScript's millisecond
 * precision exactly.
 */
import type {
  CompensationEntry,
  HistoryRecord,
  InstanceError,
  SagaCommit,
  SagaInstanceRecord,
  SagaStatus,
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
  created_at: Date | string;
  updated_at: Date | string;
  completed_at: Date | string | null;
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
  };
}

/** The mutable columns of an instance, in `UPDATE_COMMIT` order ($3…$11). */
export function mutableParams(i: SagaInstanceRecord): unknown[] {
  return [
    i.state,
    toJson(i.data),
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

/** An insert or an update: the commits that can share a group-commit statement. */
export type BatchableCommit = Extract<SagaCommit, { history: HistoryRecord }>;

/**
 * `BATCH_COMMIT`'s parameters: one array per column, element k from commit k (`expected` is null for
 * an insert).
 */
export function batchParams(commits: readonly BatchableCommit[]): unknown[][] {
  const n = commits.length;
  const columns: unknown[][] = Array.from({ length: 21 }, () => new Array<unknown>(n));
  for (let k = 0; k < n; k++) {
    const commit = commits[k]!;
    const { instance: i, history: h } = commit;
    const values = [
      i.id,
      i.sagaName,
      i.correlationId,
      commit.kind === 'update' ? commit.expectedVersion : null,
      i.state,
      toJson(i.data),
      i.dataVersion,
      i.version,
      i.status,
      toJson(i.compensation),
      i.error === null ? null : toJson(i.error),
      iso(i.updatedAt),
      i.completedAt === null ? null : iso(i.completedAt),
      iso(i.createdAt),
      h.messageId,
      h.eventType,
      h.stateBefore,
      h.stateAfter,
      toJson(h.payload),
      iso(h.at),
      h.sequence,
    ];
    for (let c = 0; c < values.length; c++) columns[c]![k] = values[c];
  }
  return columns;
}
