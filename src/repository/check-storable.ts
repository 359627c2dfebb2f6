/**
 * @module repository/check-storable
 * The check every store runs before it writes anything: each string, number and key of a commit (or an
 * outbox entry, a dead letter, a command) must be one PostgreSQL's `text` and `jsonb` can hold (see
 * `core/storable`). Shared by all stores so that the in-memory store refuses exactly what PostgreSQL
 * would, and refuses it the same way: `UnstorableValueError` naming the field, nothing written.
 */
import { assertStorable, storableJsonBound } from '../core/storable.ts';
import { UnstorableValueError } from '../errors/unstorable-value-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { CommandFinish, CompensationEntry, DeadLetter, OutboxEntry, SagaCommit } from './types.ts';

/**
 * Compensation entries are deeply frozen once registered and passed on unchanged from write to write:
 * one checked already is not walked again, so a long stack costs each commit only its new entries.
 */
const checkedEntries = new WeakSet<CompensationEntry>();

/**
 * Throws `UnstorableValueError` when any part of the commit is a value no store can hold. Paths name the
 * field as the application knows it: `correlationId`, `data.note`, `compensation[1].args.reason`,
 * `payload.items[0]` (the event's payload in the history row), `outbox[0] (ShipOrder).payload.note`.
 *
 * @example
 * checkCommit(commit); // before the first change to the store
 */
export function checkCommit(commit: SagaCommit): void {
  const i = commit.instance;
  assertStorable(i.correlationId, 'correlationId');
  if (commit.outbox !== undefined) checkOutbox(commit.outbox);
  if (commit.kind === 'delete') return;
  assertStorable(i.sagaName, 'sagaName');
  assertStorable(i.state, 'state');
  assertStorable(i.data, 'data');
  const stack = i.compensation;
  for (let k = 0; k < stack.length; k++) {
    const e = stack[k]!;
    if (checkedEntries.has(e)) continue;
    try {
      assertStorable(e.name, 'name');
      assertStorable(e.args, 'args');
    } catch (error) {
      throw within(`compensation[${k}]`, error);
    }
    if (Object.isFrozen(e) && (e.args === null || typeof e.args !== 'object' || Object.isFrozen(e.args))) checkedEntries.add(e);
  }
  if (i.error) assertStorable(i.error, 'error');
  if (i.schedules) {
    // Strings only (keys, tokens, types; due times are Dates): no walk for them.
    for (const e of i.schedules) {
      assertStorable(e.key, 'schedules.key');
      assertStorable(e.token, 'schedules.token');
      assertStorable(e.type, 'schedules.type');
      if (e.requestId !== undefined) assertStorable(e.requestId, 'schedules.requestId');
    }
  }
  if (i.joins) assertStorable(i.joins, 'joins');
  const h = commit.history;
  assertStorable(h.messageId, 'messageId');
  assertStorable(h.eventType, 'eventType');
  assertStorable(h.payload, 'payload');
  if (h.sent) {
    for (const m of h.sent) {
      assertStorable(m.messageId, 'sent.messageId');
      assertStorable(m.type, 'sent.type');
    }
  }
}

/** Outgoing messages, each named by its position and type: `outbox[0] (ShipOrder).headers.tenant`. */
export function checkOutbox(entries: readonly OutboxEntry[]): void {
  for (let k = 0; k < entries.length; k++) {
    try {
      checkEnvelope(entries[k]!.envelope);
    } catch (error) {
      throw within(`outbox[${k}] (${String(entries[k]!.envelope.type)})`, error);
    }
  }
}

/**
 * An envelope's fields, each named on its own (`payload.note`, `headers.tenant`, `correlationId`). Returns an upper bound of the payload's size as JSON (`storableJsonBound`).
 */
export function checkEnvelope(envelope: Envelope): number {
  assertStorable(envelope.type, 'type');
  assertStorable(envelope.messageId, 'messageId');
  if (envelope.correlationId !== undefined) assertStorable(envelope.correlationId, 'correlationId');
  assertStorable(envelope.timestamp, 'timestamp');
  assertStorable(envelope.headers, 'headers');
  return storableJsonBound(envelope.payload, 'payload');
}

/** The error with `prefix` before its path (built only on failure: a path per field per write would cost the hot path). */
function within(prefix: string, error: unknown): unknown {
  return error instanceof UnstorableValueError ? new UnstorableValueError(`${prefix}.${error.path}`, error.problem) : error;
}

/** A dead letter as it is about to be stored (the orchestrator makes its text storable first). */
export function checkDeadLetter(letter: DeadLetter): void {
  assertStorable(letter, 'deadLetter');
}

/** A command's outcome and the messages it sends. */
export function checkCommandFinish(finish: CommandFinish): void {
  if (finish.output !== undefined) assertStorable(finish.output, 'output');
  if (finish.error) assertStorable(finish.error, 'error');
  checkOutbox(finish.outbox);
}
