/**
 * @module tests/fault/malformed
 *
 * Inputs that can never succeed, and the dead-letter reason each must end with. Two routes:
 * - through the outbox, to the workers (and their kills): envelopes that are valid JSON with a message
 *   id and a handled type (so the outbox can hold them and the in-process bus routes them), but fail
 *   later: a payload that breaks its schema, one over the size limit, wrong envelope fields, an event
 *   for an order that does not exist;
 * - straight into `orchestrator.receive()`, as a transport hands over bytes: not JSON, JSON that is not
 *   an object, no message id, an unknown type, NUL characters, a payload over the limit.
 */
import { createEnvelope, uuidv7 } from '../../src/index.ts';
import { DeadLetterReason, type OutboxEntry } from '../../src/repository/types.ts';
import type { Envelope } from '../../src/messages/envelope.ts';
import { OrderSubmitted, PaymentCharged } from './fault-saga.ts';
import type { MalformedSpec } from './check.ts';

/** Larger than the workers' `maxPayloadBytes` (32 KiB). */
const OVERSIZED_NOTE = 'x'.repeat(40 * 1024);

interface Bad {
  readonly kind: string;
  readonly reason: DeadLetterReason;
  readonly envelope: (k: number) => Record<string, unknown>;
}

const event = (type: string, payload: unknown, correlationId: string) =>
  createEnvelope('event', type, payload, { correlationId }) as unknown as Record<string, unknown>;

const THROUGH_WORKERS: readonly Bad[] = [
  {
    kind: 'payload failing its schema',
    reason: DeadLetterReason.InvalidPayload,
    envelope: (k) => event(OrderSubmitted.name, { orderId: `bad-${k}`, amount: -5, plan: 'teleport' }, `bad-${k}`),
  },
  {
    kind: 'payload over the size limit',
    reason: DeadLetterReason.PayloadTooLarge,
    envelope: (k) => event(OrderSubmitted.name, { orderId: `big-${k}`, amount: 1, plan: 'complete', note: OVERSIZED_NOTE }, `big-${k}`),
  },
  {
    kind: 'envelope with wrong field types',
    reason: DeadLetterReason.MalformedEnvelope,
    envelope: (k) => ({ ...event(OrderSubmitted.name, { orderId: `odd-${k}` }, `odd-${k}`), kind: 'rumour', timestamp: 'yesterday', headers: [] }),
  },
  {
    kind: 'event for an order that does not exist',
    reason: DeadLetterReason.Rejected,
    envelope: (k) => event(PaymentCharged.name, { orderId: `ghost-${k}`, transactionId: `tx-ghost-${k}` }, `ghost-${k}`),
  },
];

/**
 * `count` of each malformed kind, as outbox entries due over `[from, from + spreadMs)`.
 *
 * @example
 * const { entries, specs } = malformedThroughOutbox(3, Date.now(), 5_000);
 * await repository.stageOutbox(entries);
 */
export function malformedThroughOutbox(count: number, from: number, spreadMs: number): { entries: OutboxEntry[]; specs: MalformedSpec[] } {
  const entries: OutboxEntry[] = [];
  const specs: MalformedSpec[] = [];
  for (const bad of THROUGH_WORKERS) {
    for (let k = 0; k < count; k++) {
      const envelope = bad.envelope(k);
      const due = from + Math.floor(Math.random() * spreadMs);
      entries.push({ id: uuidv7(due), envelope: envelope as unknown as Envelope, availableAt: new Date(due) });
      specs.push({ kind: bad.kind, reason: bad.reason, messageId: envelope.messageId as string });
    }
  }
  return { entries, specs };
}

export interface RawInput {
  readonly kind: string;
  readonly reason: DeadLetterReason;
  readonly input: unknown;
}

/** `count` of each raw kind, as a transport would hand them to `receive()`. */
export function malformedRaw(count: number): RawInput[] {
  const out: RawInput[] = [];
  for (let k = 0; k < count; k++) {
    const bytes = new Uint8Array(64);
    for (let b = 0; b < bytes.length; b++) bytes[b] = Math.floor(Math.random() * 256);
    const valid = createEnvelope('event', OrderSubmitted.name, { orderId: `raw-${k}`, amount: 1, plan: 'complete' }, { correlationId: `raw-${k}` });
    const { messageId: _omitted, ...noId } = valid;
    out.push(
      { kind: 'bytes that are not JSON', reason: DeadLetterReason.MalformedEnvelope, input: bytes },
      { kind: 'JSON that is not an object', reason: DeadLetterReason.MalformedEnvelope, input: k % 2 ? '[1,2,3]' : '42' },
      { kind: 'envelope without a message id', reason: DeadLetterReason.MalformedEnvelope, input: JSON.stringify(noId) },
      {
        kind: 'unknown message type',
        reason: DeadLetterReason.UnknownEvent,
        input: JSON.stringify(createEnvelope('event', 'OrderTeleported', { orderId: `raw-${k}` }, { correlationId: `raw-${k}` })),
      },
      {
        kind: 'NUL characters in type and payload',
        // Checked before routing: no store could hold the envelope, whatever its type.
        reason: DeadLetterReason.UnstorableValue,
        input: JSON.stringify(createEnvelope('event', 'Order\u0000Submitted', { orderId: `nul\u0000${k}` }, { correlationId: `raw-${k}` })),
      },
      {
        kind: 'payload over the size limit (raw)',
        reason: DeadLetterReason.PayloadTooLarge,
        input: Buffer.from(JSON.stringify({ ...valid, messageId: uuidv7(), payload: { ...valid.payload, note: OVERSIZED_NOTE } })),
      },
    );
  }
  return out;
}
