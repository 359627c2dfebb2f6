/**
 * @module ops/views
 *
 * What operators see of the store, as plain JSON: the shapes the HTTP API answers with and the CLI
 * prints (`--json`). Dates become ISO strings here, once, so every consumer agrees on them. Pure
 * functions from repository records to views; nothing here touches the store.
 */
import type { CommandRecord, DeadLetter, HistoryRecord, SagaInstanceRecord } from '../repository/types.ts';

/** An instance without its data: one row of a list, one `instance` event of the change feed. */
export interface InstanceSummary {
  readonly id: string;
  readonly sagaName: string;
  readonly correlationId: string;
  readonly state: string;
  readonly status: string;
  readonly version: number;
  /** The saga definition version that last wrote the instance (`SagaInstanceRecord.dataVersion`). */
  readonly definitionVersion: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt: string | null;
  readonly error: { readonly code: string; readonly message: string; readonly step?: string; readonly at: string } | null;
  /** Only on change-feed events: the instance is gone from the store (removed on completion). */
  readonly removed?: true;
}

/** One instance in full. `compensation` is bottom first: the last entry runs first. */
export interface InstanceView extends InstanceSummary {
  readonly data: unknown;
  /** The same as `definitionVersion` (its older name, kept for API clients). */
  readonly dataVersion: number;
  readonly compensation: ReadonlyArray<{ readonly name: string; readonly args: unknown; readonly attempts: number }>;
  readonly schedules: ReadonlyArray<{ readonly key: string; readonly token: string; readonly type: string; readonly dueAt: string }>;
}

/** A message a write sent (published, sent or scheduled) as the history records it. */
export interface SentMessageView {
  readonly messageId: string;
  readonly type: string;
  readonly kind: 'publish' | 'send' | 'schedule';
}

export interface HistoryEntryView {
  readonly sequence: number;
  readonly messageId: string;
  readonly eventType: string;
  readonly stateBefore: string | null;
  readonly stateAfter: string;
  readonly payload: unknown;
  readonly at: string;
  readonly sent: readonly SentMessageView[];
}

export interface InstanceDetail {
  readonly instance: InstanceView;
  /** One page of the history, in sequence order: the newest rows unless `historyBefore` was asked for. */
  readonly history: readonly HistoryEntryView[];
  /** Pass as `historyBefore` for the page of older rows; `null` when this page starts at the first. */
  readonly historyBefore: number | null;
}

export interface DeadLetterView extends Omit<DeadLetter, 'createdAt' | 'updatedAt'> {
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A dead letter in a listing: everything but the envelope (`GET /api/dead-letters/:id` has it). */
export type DeadLetterSummaryView = Omit<DeadLetterView, 'envelope'>;

/** A handled command as the API and CLI show it: dates as ISO strings. */
export interface CommandView extends Omit<CommandRecord, 'leaseUntil' | 'createdAt' | 'updatedAt' | 'finishedAt'> {
  readonly leaseUntil: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

export function toCommandView(command: CommandRecord): CommandView {
  return {
    ...command,
    leaseUntil: command.leaseUntil?.toISOString() ?? null,
    createdAt: command.createdAt.toISOString(),
    updatedAt: command.updatedAt.toISOString(),
    finishedAt: command.finishedAt?.toISOString() ?? null,
  };
}

/**
 * @example
 * const row = toSummary(await repository.findById(id));
 * row.updatedAt; // '2025-01-01T12:00:00.000Z'
 */
export function toSummary(record: SagaInstanceRecord): InstanceSummary {
  const error = record.error;
  return {
    id: record.id,
    sagaName: record.sagaName,
    correlationId: record.correlationId,
    state: record.state,
    status: record.status,
    version: record.version,
    definitionVersion: record.dataVersion ?? 1,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    completedAt: record.completedAt?.toISOString() ?? null,
    error: error && {
      code: error.code,
      message: error.message,
      ...(error.step !== undefined && { step: error.step }),
      at: new Date(error.at).toISOString(),
    },
  };
}

/** The full instance: summary, data, compensation stack and pending schedules. */
export function toInstanceView(record: SagaInstanceRecord): InstanceView {
  return {
    ...toSummary(record),
    data: record.data,
    dataVersion: record.dataVersion,
    compensation: record.compensation.map((c) => ({ name: c.name, args: c.args, attempts: c.attempts })),
    schedules: (record.schedules ?? []).map((s) => ({ key: s.key, token: s.token, type: s.type, dueAt: new Date(s.dueAt).toISOString() })),
  };
}

/**
 * A journal row. `sent` is optional in the store (rows written before it existed have none); it reads
 * as no messages.
 */
export function toHistoryEntry(record: HistoryRecord): HistoryEntryView {
  return {
    sequence: record.sequence,
    messageId: record.messageId,
    eventType: record.eventType,
    stateBefore: record.stateBefore,
    stateAfter: record.stateAfter,
    payload: record.payload,
    at: record.at.toISOString(),
    sent: sentOf(record),
  };
}

function sentOf(record: HistoryRecord): SentMessageView[] {
  const sent: unknown = (record as { readonly sent?: unknown }).sent;
  if (!Array.isArray(sent)) return [];
  return sent.flatMap((m: unknown) => {
    if (m === null || typeof m !== 'object') return [];
    const { messageId, type, kind } = m as Record<string, unknown>;
    if (typeof messageId !== 'string' || typeof type !== 'string') return [];
    return [{ messageId, type, kind: kind === 'publish' || kind === 'schedule' ? kind : 'send' }];
  });
}

export function toDeadLetterView(letter: DeadLetter): DeadLetterView {
  return { ...letter, createdAt: letter.createdAt.toISOString(), updatedAt: letter.updatedAt.toISOString() };
}

export function toDeadLetterSummaryView(letter: DeadLetter): DeadLetterSummaryView {
  const { envelope: _envelope, ...rest } = letter;
  return { ...rest, createdAt: letter.createdAt.toISOString(), updatedAt: letter.updatedAt.toISOString() };
}

/**
 * A value made safe for JSON: dates as ISO strings, errors as `{ name, code, message }`, everything else
 * as is. For results that carry errors or records (a dispatch result, a compensation run).
 */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) {
    return { name: value.name, code: (value as { code?: unknown }).code ?? value.name, message: value.message };
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).flatMap(([k, v]) => (v === undefined ? [] : [[k, toJsonValue(v)]])));
  }
  return value;
}
