/**
 * @module tests/fuzz/oracle
 * The fuzzer's reference model: what `receive` must do with a JSON value, worked out from the envelope
 * rules (as documented on `assertEnvelope`), the message schemas and the order saga's transition table,
 * without running the orchestrator. Also the checks every input must pass whatever it was.
 */
import { expect } from 'vitest';
import type { z } from 'zod';
import { DeadLetterReason, SagaflowError, type DeadLetter, type ReceiveResult } from '../../src/index.ts';
import {
  InventoryReservationFailed,
  InventoryReserved,
  OrderCreated,
  OrderShipped,
  PaymentFailed,
  PaymentProcessed,
  ShippingFailed,
} from '../../examples/order-saga.ts';
import { handles, ignores, type World } from './order-world.ts';

export const ORDER_EVENTS: ReadonlyMap<string, z.ZodType> = new Map(
  [OrderCreated, PaymentProcessed, PaymentFailed, InventoryReserved, InventoryReservationFailed, OrderShipped, ShippingFailed].map(
    (m) => [m.name, m.schema] as const,
  ),
);

export type Verdict =
  | { readonly handled: 'applied' | 'ignored' | 'duplicate' }
  | { readonly deadLetter: DeadLetterReason };

/**
 * How a case is judged: the model on a JSON value (or on text, parsed), a set of reasons, or only "no
 * throw". `or` admits dead letters for these reasons too (hostile objects may be refused as unreadable).
 */
export type Expectation =
  | { readonly kind: 'value'; readonly value: unknown; readonly or?: readonly DeadLetterReason[] }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'reasons'; readonly reasons: readonly DeadLetterReason[] }
  | { readonly kind: 'anything' };

export interface Case {
  readonly input: unknown;
  readonly expect: Expectation;
}

const dead = (reason: DeadLetterReason): Verdict => ({ deadLetter: reason });

/** The envelope rules, restated. */
export function isEnvelope(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  const text = (x: unknown) => typeof x === 'string' && x.length > 0;
  return (
    text(e.type) &&
    text(e.messageId) &&
    (e.correlationId === undefined || text(e.correlationId)) &&
    (e.kind === 'event' || e.kind === 'command') &&
    typeof e.timestamp === 'string' &&
    !Number.isNaN(Date.parse(e.timestamp)) &&
    e.headers !== null &&
    typeof e.headers === 'object' &&
    !Array.isArray(e.headers) &&
    'payload' in e
  );
}

/** What receiving `value` (JSON data) must do, given what the store holds now. */
export async function judge(value: unknown, world: World, options: { sizeLimit?: boolean } = {}): Promise<Verdict> {
  if (!isEnvelope(value)) return dead(DeadLetterReason.MalformedEnvelope);
  if ((options.sizeLimit ?? true) && payloadBytes(value.payload) > world.maxPayloadBytes) return dead(DeadLetterReason.PayloadTooLarge);
  // PostgreSQL cannot store it, so no store takes it: refused before routing, whatever its type.
  const stored = { type: value.type, messageId: value.messageId, correlationId: value.correlationId, timestamp: value.timestamp, headers: value.headers, payload: value.payload };
  if (firstUnstorable(stored) !== undefined) return dead(DeadLetterReason.UnstorableValue);
  const type = value.type as string;
  const schema = ORDER_EVENTS.get(type);
  if (!schema) return dead(DeadLetterReason.UnknownEvent);
  const parsed = schema.safeParse(value.payload);
  if (!parsed.success) return dead(DeadLetterReason.InvalidPayload);
  const orderId = (parsed.data as { orderId: string }).orderId;
  if (orderId.length === 0) return dead(DeadLetterReason.MalformedEnvelope); // no correlation id
  const record = await world.repository.findByCorrelation('order', orderId);
  if (record === null) return type === OrderCreated.name ? { handled: 'applied' } : dead(DeadLetterReason.Rejected);
  if (ignores(record.state, type)) return { handled: 'ignored' };
  const seen = (await world.repository.history(record.id)).some((h) => h.messageId === value.messageId);
  if (handles(record.state, type)) {
    if (world.preIds.has(orderId) && !seen) throw new Error(`generator bug: '${type}' would move pre-existing order ${orderId}`);
    return seen ? { handled: 'duplicate' } : { handled: 'applied' };
  }
  return seen ? { handled: 'duplicate' } : dead(DeadLetterReason.Rejected);
}

/**
 * The payload's size as JSON. V8 cannot stringify JSON nested beyond a few thousand levels (JSON.parse
 * can read it): the deep-nesting generator keeps such payloads under the limit, so 0 is right for them.
 */
function payloadBytes(payload: unknown): number {
  try {
    const json = JSON.stringify(payload);
    return json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
  } catch (error) {
    if (error instanceof RangeError) return 0;
    throw error;
  }
}

export async function verdictFor(expectation: Expectation, world: World): Promise<Verdict | undefined> {
  if (expectation.kind === 'value') return judge(expectation.value, world);
  if (expectation.kind === 'text') {
    let value: unknown;
    try {
      value = JSON.parse(expectation.text);
    } catch {
      return dead(DeadLetterReason.MalformedEnvelope);
    }
    return judge(value, world);
  }
  return undefined;
}

/** `result` is what `verdict` (or the expectation) says, and a dead letter is stored as returned. */
export async function expectResult(result: ReceiveResult, expectation: Expectation, verdict: Verdict | undefined, world: World) {
  const alternative = expectation.kind === 'value' && expectation.or;
  if (alternative && result.status === 'dead-lettered' && alternative.includes(result.deadLetter.reason)) {
    // One of the admitted refusals.
  } else if (verdict && 'handled' in verdict) {
    expect(result.status, describeResult(result)).toBe('handled');
    if (result.status === 'handled') expect(result.result.outcomes.map((o) => o.result)).toEqual([verdict.handled]);
  } else if (verdict) {
    expect(result.status, describeResult(result)).toBe('dead-lettered');
    if (result.status === 'dead-lettered') expect(result.deadLetter.reason, describeResult(result)).toBe(verdict.deadLetter);
  } else if (expectation.kind === 'reasons') {
    expect(result.status, describeResult(result)).toBe('dead-lettered');
    if (result.status === 'dead-lettered') expect(expectation.reasons).toContain(result.deadLetter.reason);
  }
  if (result.status === 'dead-lettered') await expectStoredLetter(result.deadLetter, world);
}

async function expectStoredLetter(letter: DeadLetter, world: World) {
  expect(letter.errorCode).toMatch(/^SAGA_[A-Z_]+$/);
  const stored = await world.repository.getDeadLetter(letter.id);
  expect(JSON.stringify(stored)).toBe(JSON.stringify(letter));
  expect(firstUnstorable(letter), 'a dead letter holds no NUL character or lone surrogate (PostgreSQL cannot store one)').toBeUndefined();
}

/** A NUL character or a lone UTF-16 surrogate: what PostgreSQL's text and jsonb refuse. */
const BAD_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path of the first string (or key) PostgreSQL cannot hold, walked without recursion (letters may be deep). */
function firstUnstorable(value: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[value, '$']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (BAD_TEXT.test(v)) return path;
    } else if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      for (const [k, child] of Object.entries(v)) {
        if (BAD_TEXT.test(k)) return `${path} (key)`;
        stack.push([child, `${path}.${k}`]);
      }
    }
  }
  return undefined;
}

function describeResult(result: ReceiveResult): string {
  return result.status === 'handled'
    ? `handled: ${result.result.outcomes.map((o) => o.result).join(',')}`
    : `dead-lettered (${result.deadLetter.reason}, ${result.deadLetter.errorCode}): ${result.deadLetter.errorMessage.slice(0, 200)}`;
}

/** The error codes `dispatch` may throw for a verdict. */
export const CODES_FOR: Readonly<Record<DeadLetterReason, readonly string[]>> = Object.freeze({
  'malformed-envelope': ['SAGA_ENVELOPE_INVALID'],
  'unknown-event': ['SAGA_UNKNOWN_EVENT'],
  'invalid-payload': ['SAGA_PAYLOAD_INVALID'],
  'payload-too-large': ['SAGA_PAYLOAD_TOO_LARGE'],
  'retries-exhausted': ['SAGA_RETRIES_EXHAUSTED', 'SAGA_ACTION_FAILED'],
  rejected: ['SAGA_INSTANCE_NOT_FOUND', 'SAGA_EVENT_UNHANDLED', 'SAGA_DATA_INVALID'],
  'unstorable-value': ['SAGA_VALUE_UNSTORABLE'],
});

/** A Sagaflow error with a stable code, never a raw TypeError or whatever a getter threw. */
export function expectTypedError(error: unknown): asserts error is SagaflowError {
  expect(error, `dispatch threw ${String((error as Error)?.name)}: ${String((error as Error)?.message)}`).toBeInstanceOf(SagaflowError);
  expect((error as SagaflowError).code).toMatch(/^SAGA_[A-Z_]+$/);
}
