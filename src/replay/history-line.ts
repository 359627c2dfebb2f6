/**
 * @module replay/history-line
 *
 * The exported-history format (`sagaflow export`, read by `sagaflow replay` and `replayHistories()`):
 * JSON lines, one saga instance per line, with the instance as it is stored and its journal in order.
 * Versioned by `format` (now 1): a reader refuses a format it does not know rather than guess, and a
 * later format adds fields rather than change these. Reference: docs/replay.md.
 *
 * The journal holds what replaying needs: each applied event's type, payload, message id and time, and
 * what the write did (state before and after, messages sent). Envelope headers are not stored; the
 * ones Sagaflow's own routing depends on (a scheduled message's schedule key, a request's answer key)
 * are rebuilt on replay from the recorded message ids. Compensation steps appear as the rows their runs
 * wrote (`sagaflow.compensation.step` with `{ step, args }`), the stack as it is now on the instance.
 */
import { z } from 'zod';
import { HistoryFormatError } from '../errors/history-format-error.ts';
import type { HistoryRecord, SagaInstanceRecord } from '../repository/types.ts';

/** The format this version of Sagaflow writes, and the newest it reads. */
export const HISTORY_FORMAT_VERSION = 1;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time');

export const SentMessageLine = z.object({
  messageId: z.string(),
  type: z.string(),
  kind: z.enum(['publish', 'send', 'schedule']),
});

/** One row of the journal: an applied event, or a write a compensation run made. */
export const HistoryStepLine = z.object({
  /** The instance version this write produced (1 for the write that created it). */
  sequence: z.number().int().positive(),
  messageId: z.string(),
  /** The event type, or `sagaflow.compensation.step|failed|retry` for a compensation run's writes. */
  type: z.string().min(1),
  /** `null` for the write that created the instance. */
  stateBefore: z.string().nullable(),
  stateAfter: z.string(),
  /** The event's payload as validated when it was applied; `{ step, args }` for a compensation step. */
  payload: z.unknown(),
  at: isoTime,
  sent: z.array(SentMessageLine),
});

export const CompensationEntryLine = z.object({ name: z.string(), args: z.unknown(), attempts: z.number().int().nonnegative() });

export const ScheduleEntryLine = z.object({
  key: z.string(),
  token: z.string(),
  type: z.string(),
  dueAt: isoTime,
  requestId: z.string().optional(),
});

/** One exported instance: one line of the file. */
export const HistoryLine = z.object({
  format: z.literal(HISTORY_FORMAT_VERSION),
  saga: z.string().min(1),
  instanceId: z.string(),
  correlationId: z.string().min(1),
  state: z.string(),
  status: z.string(),
  data: z.unknown(),
  dataVersion: z.number().int(),
  /** The version of the saga definition that last wrote the instance, where the store records one. */
  definitionVersion: z.number().int().optional(),
  version: z.number().int(),
  /** Bottom first, as stored: the last entry would run first. */
  compensation: z.array(CompensationEntryLine),
  schedules: z.array(ScheduleEntryLine),
  createdAt: isoTime,
  updatedAt: isoTime,
  completedAt: isoTime.nullable(),
  /** The journal, ordered by sequence. */
  history: z.array(HistoryStepLine),
});

export type HistoryLine = z.infer<typeof HistoryLine>;
export type HistoryStepLine = z.infer<typeof HistoryStepLine>;
export type SentMessageLine = z.infer<typeof SentMessageLine>;

/**
 * The line of one instance and its journal.
 *
 * @example
 * const line = toHistoryLine(record, await repository.history(record.id));
 * out.write(JSON.stringify(line) + '\n');
 */
export function toHistoryLine(record: SagaInstanceRecord, history: readonly HistoryRecord[]): HistoryLine {
  // Read defensively: stores that record the definition version put it on the record.
  const definitionVersion = (record as { definitionVersion?: unknown }).definitionVersion;
  return {
    format: HISTORY_FORMAT_VERSION,
    saga: record.sagaName,
    instanceId: record.id,
    correlationId: record.correlationId,
    state: record.state,
    status: record.status,
    data: record.data,
    dataVersion: record.dataVersion,
    ...(typeof definitionVersion === 'number' && { definitionVersion }),
    version: record.version,
    compensation: record.compensation.map((e) => ({ name: e.name, args: e.args, attempts: e.attempts })),
    schedules: (record.schedules ?? []).map((s) => ({
      key: s.key,
      token: s.token,
      type: s.type,
      dueAt: s.dueAt.toISOString(),
      ...(s.requestId !== undefined && { requestId: s.requestId }),
    })),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    completedAt: record.completedAt?.toISOString() ?? null,
    history: history.map((h) => ({
      sequence: h.sequence,
      messageId: h.messageId,
      type: h.eventType,
      stateBefore: h.stateBefore,
      stateAfter: h.stateAfter,
      payload: h.payload,
      at: h.at.toISOString(),
      sent: (h.sent ?? []).map((s) => ({ messageId: s.messageId, type: s.type, kind: s.kind })),
    })),
  };
}

/**
 * Reads a JSON-lines file's text (blank lines skipped). Throws `HistoryFormatError` naming the first
 * line that is not JSON or not a history line of a format this version reads.
 *
 * @example
 * const lines = parseHistoryLines(await readFile('orders.jsonl', 'utf8'));
 */
export function parseHistoryLines(text: string): HistoryLine[] {
  const lines: HistoryLine[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const source = raw[i]!.trim();
    if (source === '') continue;
    lines.push(parseHistoryLine(source, i + 1));
  }
  return lines;
}

/** One line; `lineNumber` only names it in the error. */
export function parseHistoryLine(source: string, lineNumber = 1): HistoryLine {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new HistoryFormatError(lineNumber, 'not JSON', { cause: error });
  }
  const format = (value as { format?: unknown } | null)?.format;
  if (typeof format === 'number' && format > HISTORY_FORMAT_VERSION) {
    throw new HistoryFormatError(lineNumber, `format ${format} is newer than this Sagaflow reads (${HISTORY_FORMAT_VERSION}): upgrade Sagaflow`);
  }
  const parsed = HistoryLine.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HistoryFormatError(lineNumber, `${issue.path.join('.') || '(line)'}: ${issue.message}`, { cause: parsed.error });
  }
  return parsed.data;
}
