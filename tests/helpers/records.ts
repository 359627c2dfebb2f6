/**
 * @module tests/helpers/records
 * Builders for repository records, so tests state only what they are about.
 */
import { randomBytes } from 'node:crypto';
import { uuidv7 } from '../../src/messages/uuid-v7.ts';
import type { Envelope } from '../../src/messages/envelope.ts';
import type {
  DeadLetter,
  HistoryRecord,
  OutboxEntry,
  SagaCommit,
  SagaInstanceRecord,
} from '../../src/repository/types.ts';

export function makeInstance(overrides: Partial<SagaInstanceRecord> = {}): SagaInstanceRecord {
  const at = overrides.updatedAt ?? new Date();
  return {
    id: uuidv7(),
    sagaName: 'order',
    correlationId: `order-${randomBytes(4).toString('hex')}`,
    state: 'Submitted',
    data: { total: 42 },
    dataVersion: 1,
    version: 1,
    status: 'active',
    compensation: [],
    error: null,
    createdAt: at,
    updatedAt: at,
    completedAt: null,
    ...overrides,
  };
}

export function makeHistory(instance: SagaInstanceRecord, overrides: Partial<HistoryRecord> = {}): HistoryRecord {
  return {
    instanceId: instance.id,
    sequence: instance.version,
    messageId: uuidv7(),
    eventType: instance.version === 1 ? 'OrderSubmitted' : 'OrderUpdated',
    stateBefore: null,
    stateAfter: instance.state,
    payload: { n: instance.version },
    at: instance.updatedAt,
    ...overrides,
  };
}

export function insertOf(instance: SagaInstanceRecord): SagaCommit {
  return { kind: 'insert', instance, history: makeHistory(instance) };
}

/** The commit that moves `from` to the next version with `changes` applied. */
export function updateOf(
  from: SagaInstanceRecord,
  changes: Partial<SagaInstanceRecord> = {},
): { commit: SagaCommit; next: SagaInstanceRecord } {
  const next: SagaInstanceRecord = {
    ...from,
    updatedAt: new Date(from.updatedAt.getTime() + 1),
    ...changes,
    version: from.version + 1,
  };
  return {
    next,
    commit: {
      kind: 'update',
      instance: next,
      expectedVersion: from.version,
      history: makeHistory(next, { stateBefore: from.state }),
    },
  };
}

/** An envelope with every field set (none `undefined`), so it compares equal after a JSON round trip. */
export function makeEnvelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    kind: 'event',
    type: 'OrderShipped',
    messageId: uuidv7(),
    correlationId: `order-${randomBytes(4).toString('hex')}`,
    payload: { orderId: 'o-1', total: 42 },
    timestamp: new Date().toISOString(),
    headers: {},
    ...overrides,
  };
}

/** An outbox entry for `envelope` (a fresh one by default), claimable from `availableAt` (default now). */
export function makeOutboxEntry(availableAt: Date = new Date(), envelope: Envelope = makeEnvelope()): OutboxEntry {
  return { id: uuidv7(), envelope, availableAt };
}

/** `commit` with `outbox` added. */
export function withOutbox(commit: SagaCommit, outbox: readonly OutboxEntry[]): SagaCommit {
  return { ...commit, outbox };
}

/** `commit` carrying the message `messageId` (a redelivery, when another commit carried it first). */
export function withMessageId(commit: SagaCommit, messageId: string): SagaCommit {
  if (commit.kind === 'delete') throw new TypeError('a delete commit carries no message');
  return { ...commit, history: { ...commit.history, messageId } };
}

export function makeDeadLetter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  const envelope = makeEnvelope({ type: 'OrderPaid' });
  const at = overrides.createdAt ?? new Date();
  return {
    id: uuidv7(),
    reason: 'unknown-event',
    errorCode: 'SAGA_UNKNOWN_EVENT',
    errorMessage: "no saga handles 'OrderPaid'",
    envelope,
    messageId: envelope.messageId,
    messageType: envelope.type,
    sagaName: null,
    correlationId: envelope.correlationId ?? null,
    instanceId: null,
    replays: 0,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}
