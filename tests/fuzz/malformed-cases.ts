/**
 * @module tests/fuzz/malformed-cases
 * Generators of hostile input for `receive` and `dispatch`. Each generator yields a plain, printable
 * spec (so fast-check can show and shrink a counterexample), and `make(spec, world)` turns it into the
 * input — a proxy, a getter, a cycle are built only there — together with how to judge the result.
 */
import fc from 'fast-check';
import { DeadLetterReason } from '../../src/index.ts';
import type { Case } from './oracle.ts';
import { PRE_EXISTING, handles, type PreKey, type World } from './order-world.ts';

export interface Category<S> {
  readonly arb: fc.Arbitrary<S>;
  readonly make: (spec: S, world: World) => Case;
}

type Json = unknown;
type Form = 'object' | 'text' | 'bytes';
export type EnvelopeSpec = Record<string, Json>;

export const EVENT_TYPES = [
  'OrderCreated',
  'PaymentProcessed',
  'PaymentFailed',
  'InventoryReserved',
  'InventoryReservationFailed',
  'OrderShipped',
  'ShippingFailed',
] as const;

const REASON = 'reason' as const;
/** Envelope fields a transport must get right (payload aside). */
export const ENVELOPE_FIELDS = ['type', 'messageId', 'correlationId', 'kind', 'timestamp', 'headers'] as const;
const PRE = '@pre:';

// --- Building blocks -----------------------------------------------------------------------------
const shortText = fc.string({ maxLength: 6 });
/** Order ids that no pre-existing order has: missing ones, fresh ones, and short ones that collide with each other. */
export const foreignOrderId = fc.oneof(
  fc.uuid().map((u) => `missing-${u}`),
  fc.uuid().map((u) => `new-${u}`),
  shortText,
);
const preOrderId = fc.constantFrom(...PRE_EXISTING.map((p) => `${PRE}${p.key}`));
const form = fc.constantFrom<Form>('object', 'text', 'bytes');
const timestamp = fc.date({ min: new Date(0), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());

export function payloadFor(type: string, orderId: fc.Arbitrary<string>): fc.Arbitrary<Record<string, Json>> {
  const s = shortText;
  switch (type) {
    case 'OrderCreated':
      return fc.record({
        orderId,
        customerId: s,
        total: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
        items: fc.array(fc.record({ sku: s, quantity: fc.integer({ min: 1, max: 50 }) }), { minLength: 1, maxLength: 3 }),
      });
    case 'PaymentProcessed':
      return fc.record({ orderId, transactionId: s, amount: fc.double({ noNaN: true, noDefaultInfinity: true }) });
    case 'InventoryReserved':
      return fc.record({ orderId, reservationId: s });
    case 'OrderShipped':
      return fc.record({ orderId, trackingNumber: s });
    default:
      return fc.record({ orderId, [REASON]: s });
  }
}

export function envelopeOf(type: fc.Arbitrary<string>, orderId: fc.Arbitrary<string> = foreignOrderId): fc.Arbitrary<EnvelopeSpec> {
  return type.chain((t) =>
    fc.record(
      {
        kind: fc.constantFrom('event', 'command'),
        type: fc.constant(t),
        messageId: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 4 })),
        correlationId: fc.string({ minLength: 1, maxLength: 6 }),
        timestamp,
        headers: fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
        payload: payloadFor(t, orderId),
      },
      { requiredKeys: ['kind', 'type', 'messageId', 'timestamp', 'headers', 'payload'] },
    ),
  );
}

export const anyEventEnvelope = envelopeOf(fc.constantFrom(...EVENT_TYPES));

/** Replaces the `@pre:` placeholder with the pre-existing order's real id. */
export function resolve(spec: EnvelopeSpec, world: World): EnvelopeSpec {
  const payload = spec.payload as Record<string, Json> | undefined;
  const id = payload?.orderId;
  if (typeof id !== 'string' || !id.startsWith(PRE)) return spec;
  return { ...spec, payload: { ...payload, orderId: world.pre.get(id.slice(PRE.length) as PreKey)!.orderId } };
}

/** JSON data in one of the three forms a transport hands over, judged by the model on that data. */
export function asForm(value: Json, how: Form): Case {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('not JSON data');
  const input = how === 'object' ? JSON.parse(text) : how === 'text' ? text : new TextEncoder().encode(text);
  return { input, expect: { kind: 'value', value: JSON.parse(text) } };
}

/** Text spliced into an envelope's JSON text at a placeholder (keys JSON.stringify would never write). */
function splice(spec: EnvelopeSpec, where: 'envelope' | 'headers' | 'payload', fragment: string): string {
  const marker = '"\u2063splice\u2063":0';
  const withMarker =
    where === 'envelope'
      ? { ...spec, '\u2063splice\u2063': 0 }
      : { ...spec, [where]: { ...(spec[where] as object), '\u2063splice\u2063': 0 } };
  return JSON.stringify(withMarker).replace(marker, () => fragment);
}

function textCase(text: string, how: Form): Case {
  const input = how === 'object' ? JSON.parse(text) : how === 'text' ? text : new TextEncoder().encode(text);
  return { input, expect: { kind: 'text', text } };
}

// --- 1. Bytes and text ---------------------------------------------------------------------------
export const bytesAndText: Category<
  | { bytes: Uint8Array }
  | { text: string }
  | { corrupt: EnvelopeSpec; at: number; how: 'truncate' | 'drop' | 'insert'; insert: string }
> = {
  arb: fc.oneof(
    fc.uint8Array({ maxLength: 256 }).map((bytes) => ({ bytes })),
    fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ text })),
    fc.record({
      corrupt: anyEventEnvelope,
      at: fc.nat(),
      how: fc.constantFrom('truncate' as const, 'drop' as const, 'insert' as const),
      insert: fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }),
    }),
  ),
  make: (spec) => {
    if ('bytes' in spec) return { input: spec.bytes, expect: { kind: 'text', text: Buffer.from(spec.bytes).toString('utf8') } };
    if ('text' in spec) return { input: spec.text, expect: { kind: 'text', text: spec.text } };
    const text = JSON.stringify(spec.corrupt);
    const at = spec.at % text.length;
    const bad =
      spec.how === 'truncate' ? text.slice(0, at) : spec.how === 'drop' ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + spec.insert + text.slice(at);
    return { input: bad, expect: { kind: 'text', text: bad } };
  },
};

// --- 2. Random JSON ------------------------------------------------------------------------------
const jsonish = fc.jsonValue({ maxDepth: 3 });
export const jsonValues: Category<{ value: Json; how: Form }> = {
  arb: fc.record({
    value: fc.oneof(
      jsonish,
      // Partial envelopes: some of the right keys, with any JSON in them.
      fc.record(
        { type: fc.oneof(jsonish, fc.constantFrom(...EVENT_TYPES)), messageId: jsonish, kind: jsonish, timestamp: jsonish, headers: jsonish, payload: jsonish },
        { requiredKeys: [] },
      ),
    ),
    how: form,
  }),
  make: (spec) => asForm(spec.value, spec.how),
};

// --- 3. Wrong field types ------------------------------------------------------------------------
const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(''),
  shortText,
  fc.constantFrom('2025-13-45T99:99:99Z', 'EVENT', 'Event', ' event', 'yesterday'),
  fc.array(shortText, { maxLength: 2 }),
  fc.dictionary(shortText, shortText, { maxKeys: 2 }),
);
export const wrongFieldTypes: Category<{ envelope: EnvelopeSpec; field: string; value: Json; how: Form }> = {
  arb: fc.record({ envelope: anyEventEnvelope, field: fc.constantFrom(...ENVELOPE_FIELDS), value: wrongValue, how: form }),
  make: (spec) => asForm({ ...spec.envelope, [spec.field]: spec.value }, spec.how),
};

// --- 4. Missing fields ---------------------------------------------------------------------------
export const missingFields: Category<{ envelope: EnvelopeSpec; drop: string[]; how: Form }> = {
  arb: fc.record({
    envelope: anyEventEnvelope,
    drop: fc.subarray([...ENVELOPE_FIELDS, 'payload'], { minLength: 1 }),
    how: form,
  }),
  make: (spec) => {
    const e = { ...spec.envelope };
    for (const f of spec.drop) delete e[f];
    return asForm(e, spec.how);
  },
};

// --- 5. Huge payloads ----------------------------------------------------------------------------
export const hugePayloads: Category<{ envelope: EnvelopeSpec; unit: string; bytes: number; how: Form }> = {
  arb: fc.record({
    envelope: envelopeOf(fc.constantFrom(...EVENT_TYPES, 'NoSuchEvent')),
    unit: fc.constantFrom('x', 'é', '€', '😀', '\u0000'),
    // Around the limit (the boundary) or well over it.
    bytes: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.integer({ min: 1, max: 40_000 })),
    how: form,
  }),
  make: (spec, world) => {
    const target = world.maxPayloadBytes + spec.bytes;
    const payload = { ...(spec.envelope.payload as object), padding: '' };
    const unitBytes = Buffer.byteLength(JSON.stringify(spec.unit)) - 2; // as JSON: NUL is written \u0000
    const missing = Math.max(0, target - Buffer.byteLength(JSON.stringify(payload)));
    payload.padding = spec.unit.repeat(Math.ceil(missing / unitBytes));
    return asForm({ ...spec.envelope, payload }, spec.how);
  },
};

// --- 6. Payloads that fail their schema ----------------------------------------------------------
export const invalidPayloads: Category<{
  envelope: EnvelopeSpec;
  mutation: { drop: number } | { wrong: number; value: Json } | { random: Json } | { extra: Record<string, Json> };
  how: Form;
}> = {
  arb: fc.oneof(
    // Against pre-existing orders only mutations that cannot leave the payload valid.
    fc.record({
      envelope: envelopeOf(fc.constantFrom(...EVENT_TYPES), fc.oneof(preOrderId, foreignOrderId)),
      mutation: fc.oneof(
        fc.record({ drop: fc.nat() }),
        fc.record({ wrong: fc.nat(), value: fc.oneof(fc.constant(null), fc.boolean(), fc.constant([]), fc.constant({})) }),
        fc.record({ random: fc.jsonValue({ maxDepth: 2 }) }),
      ),
      how: form,
    }),
    fc.record({
      envelope: anyEventEnvelope,
      mutation: fc.record({ extra: fc.dictionary(shortText, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }) }),
      how: form,
    }),
  ),
  make: (spec, world) => {
    const e = resolve(spec.envelope, world);
    const payload: Record<string, Json> = { ...(e.payload as Record<string, Json>) };
    const keys = Object.keys(payload);
    const m = spec.mutation;
    let next: Json = payload;
    if ('drop' in m) delete payload[keys[m.drop % keys.length]!];
    else if ('wrong' in m) payload[keys[m.wrong % keys.length]!] = m.value;
    else if ('random' in m) next = m.random;
    else Object.assign(payload, m.extra);
    return asForm({ ...e, payload: next }, spec.how);
  },
};

// --- 7. Unknown types ----------------------------------------------------------------------------
export const unknownTypes: Category<{ envelope: EnvelopeSpec; how: Form }> = {
  arb: fc.record({
    envelope: envelopeOf(
      fc.oneof(
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.constantFrom(
          '__proto__', 'constructor', 'toString', 'hasOwnProperty', '*', 'orderCreated', 'ORDERCREATED', 'OrderCreated ',
          'OrderCreated\u0000', 'ProcessPayment', 'RefundPayment', 'sagaflow.compensation.step', 'order', 'Initial',
        ),
      ),
    ),
    how: form,
  }),
  make: (spec) => asForm(spec.envelope, spec.how),
};

// --- 8. NUL characters ---------------------------------------------------------------------------
export const nulCharacters: Category<{ envelope: EnvelopeSpec; paths: string[]; at: number; how: Form } | { rawAt: number; envelope: EnvelopeSpec }> = {
  arb: fc.oneof(
    fc.record({
      envelope: anyEventEnvelope,
      paths: fc.subarray(['type', 'messageId', 'correlationId', 'timestamp', 'kind', 'payload.orderId', 'payload.reason', 'payload.customerId', 'headerKey', 'headerValue'], {
        minLength: 1,
      }),
      at: fc.nat(),
      how: form,
    }),
    fc.record({ rawAt: fc.nat(), envelope: anyEventEnvelope }),
  ),
  make: (spec) => {
    if ('rawAt' in spec) {
      const text = JSON.stringify(spec.envelope);
      const at = spec.rawAt % (text.length + 1);
      const bad = `${text.slice(0, at)}\u0000${text.slice(at)}`;
      return { input: bad, expect: { kind: 'text', text: bad } };
    }
    const withNul = (s: string) => `${s.slice(0, spec.at % (s.length + 1))}\u0000${s.slice(spec.at % (s.length + 1))}`;
    const e: Record<string, Json> = { ...spec.envelope, payload: { ...(spec.envelope.payload as object) }, headers: { ...(spec.envelope.headers as object) } };
    for (const path of spec.paths) {
      if (path === 'headerKey') (e.headers as Record<string, Json>)[withNul('h')] = 'v';
      else if (path === 'headerValue') (e.headers as Record<string, Json>).h = withNul('v');
      else if (path.startsWith('payload.')) {
        const p = e.payload as Record<string, Json>;
        const k = path.slice('payload.'.length);
        p[k] = withNul(typeof p[k] === 'string' ? (p[k] as string) : '');
      } else e[path] = withNul(typeof e[path] === 'string' ? (e[path] as string) : '');
    }
    return asForm(e, spec.how);
  },
};

// --- 9. Prototype pollution ----------------------------------------------------------------------
const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'] as const;
const pollutingValue = fc.oneof(
  fc.constant({ polluted: 'yes' }),
  fc.constant({ prototype: { polluted: 'yes', isAdmin: true } }),
  fc.constant({ __proto__: { polluted: 'yes' } }),
  fc.constant({ constructor: { prototype: { polluted: 'yes' } } }),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);
export const prototypePollution: Category<{
  envelope: EnvelopeSpec;
  where: 'envelope' | 'headers' | 'payload';
  entries: Array<[string, Json]>;
  ids: string | null;
  how: Form;
}> = {
  arb: fc.record({
    envelope: anyEventEnvelope,
    where: fc.constantFrom('envelope' as const, 'headers' as const, 'payload' as const),
    entries: fc.array(fc.tuple(fc.constantFrom(...POLLUTING_KEYS), pollutingValue), { minLength: 1, maxLength: 3 }),
    ids: fc.option(fc.constantFrom(...POLLUTING_KEYS)),
    how: form,
  }),
  make: (spec) => {
    // Own "__proto__" keys exist only through JSON.parse (an object literal would set the prototype).
    const fragment = spec.entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v, replacerKeepingProto)}`).join(',');
    let envelope = spec.envelope;
    if (spec.ids !== null) {
      envelope = { ...envelope, messageId: spec.ids, payload: { ...(envelope.payload as object), orderId: spec.ids } };
    }
    return textCase(splice(envelope, spec.where, fragment), spec.how);
  },
};

/** `{ __proto__: x }` in the specs above is an object literal that *sets* the prototype; write it as a key. */
function replacerKeepingProto(this: unknown, _key: string, value: Json): Json {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) {
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== null) return JSON.parse(`{"__proto__":${JSON.stringify(proto)}}`);
  }
  return value;
}

// --- 10. Deep nesting ----------------------------------------------------------------------------
export const deepNesting: Category<{
  envelope: EnvelopeSpec;
  depth: number;
  shape: 'array' | 'object';
  where: 'payload' | 'payloadField' | 'header' | 'envelopeField' | 'whole';
  how: Form;
}> = {
  arb: fc.record({
    envelope: anyEventEnvelope,
    depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 2_500 })),
    shape: fc.constantFrom('array' as const, 'object' as const),
    where: fc.constantFrom('payload' as const, 'payloadField' as const, 'header' as const, 'envelopeField' as const, 'whole' as const),
    how: form,
  }),
  make: (spec, world) => {
    const depth = spec.shape === 'array' ? spec.depth * 3 : spec.depth; // "[" is 1 byte, '{"a":' 5: similar sizes
    const nested = spec.shape === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    let text: string;
    if (spec.where === 'whole') text = nested;
    else if (spec.where === 'payload') text = JSON.stringify({ ...spec.envelope, payload: 0 }).replace('"payload":0', () => `"payload":${nested}`);
    else if (spec.where === 'payloadField') text = splice(spec.envelope, 'payload', `"deep":${nested}`);
    else if (spec.where === 'header') text = splice(spec.envelope, 'headers', `"deep":${nested}`);
    else text = splice(spec.envelope, 'envelope', `"deep":${nested}`);
    // Under the size limit, so that only the depth is on trial.
    if (Buffer.byteLength(text) >= world.maxPayloadBytes) throw new RangeError(`deep case of ${text.length} bytes`);
    return textCase(text, spec.how);
  },
};

// --- 14. Valid in shape, refused by the saga (or a duplicate) ------------------------------------
export const refusedByTheSaga: Category<
  | { pre: PreKey; type: string; messageId: string; envelope: EnvelopeSpec; how: Form }
  | { pre: PreKey; resend: number; reuseIdOnly: boolean; how: Form }
  | { missing: EnvelopeSpec; how: Form }
> = {
  arb: fc.oneof(
    fc.record({
      pre: fc.constantFrom(...PRE_EXISTING.map((p) => p.key)),
      type: fc.constantFrom(...EVENT_TYPES),
      messageId: fc.uuid(),
      envelope: anyEventEnvelope,
      how: form,
    }),
    fc.record({ pre: fc.constantFrom(...PRE_EXISTING.map((p) => p.key)), resend: fc.nat(), reuseIdOnly: fc.boolean(), how: form }),
    fc.record({
      missing: envelopeOf(fc.constantFrom(...EVENT_TYPES.filter((t) => t !== 'OrderCreated')), fc.uuid().map((u) => `missing-${u}`)),
      how: form,
    }),
  ),
  make: (spec, world) => {
    if ('missing' in spec) return asForm(spec.missing, spec.how);
    const pre = world.pre.get(spec.pre)!;
    if ('resend' in spec) {
      const original = pre.applied[spec.resend % pre.applied.length]!;
      if (!spec.reuseIdOnly) return asForm(original, spec.how);
      // The same message id under a type this state does not handle: the inbox still recognises it.
      const type = EVENT_TYPES.find((t) => t !== 'OrderCreated' && !handles(pre.state, t))!;
      return asForm({ ...original, type, payload: { orderId: pre.orderId, reason: 'r', reservationId: 'r', trackingNumber: 't', transactionId: 't', amount: 1 } }, spec.how);
    }
    // A type this state does not handle: OrderCreated is ignored, anything else refused.
    const type = handles(pre.state, spec.type) ? 'OrderCreated' : spec.type;
    const payload = { orderId: pre.orderId, customerId: 'c', total: 1, items: [{ sku: 's', quantity: 1 }], reason: 'r', reservationId: 'r', trackingNumber: 't', transactionId: 't', amount: 1 };
    return asForm({ ...spec.envelope, type, messageId: spec.messageId, payload }, spec.how);
  },
};

export const ALL_REASONS = Object.values(DeadLetterReason);
