/**
 * @module tests/helpers/records
 * Builders for repository records, so tests state only what they are about.
 */
import { randomBytes } from 'node:crypto';
import { uuidv7 } from '../../src/messages/uuid-v7.ts';
import type { HistoryRecord, SagaCommit, SagaInstanceRecord } from '../../src/repository/types.ts';

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
