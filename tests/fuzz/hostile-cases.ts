/**
 * @module tests/fuzz/hostile-cases
 * Objects no transport would produce but an in-process caller can: proxies whose traps throw, revoked
 * proxies, throwing getters, getters that answer differently on a later read, cycles, BigInts, symbols,
 * functions, built-ins where JSON is expected. Built from printable specs, like `malformed-cases`.
 */
import fc from 'fast-check';
import { DeadLetterReason } from '../../src/index.ts';
import type { Case } from './oracle.ts';
import { ENVELOPE_FIELDS, EVENT_TYPES, anyEventEnvelope, envelopeOf, type Category, type EnvelopeSpec } from './malformed-cases.ts';

const TRAPS = ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf'] as const;
type Trap = (typeof TRAPS)[number];
const UNREADABLE: readonly DeadLetterReason[] = [DeadLetterReason.MalformedEnvelope, DeadLetterReason.InvalidPayload];

export class HostileInputError extends Error {
  override name = 'HostileInputError';
}

/** A proxy over `target` whose listed traps throw. */
function trapping<T extends object>(target: T, traps: readonly Trap[]): T {
  const handler: ProxyHandler<T> = {};
  for (const trap of traps) {
    (handler as Record<string, unknown>)[trap] = () => {
      throw new HostileInputError(`${trap} trap`);
    };
  }
  return new Proxy(target, handler);
}

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function cyclic(): Record<string, unknown> {
  const a: Record<string, unknown> = { name: 'a' };
  a.self = a;
  a.list = [a, { back: a }];
  return a;
}

function withGetter(target: Record<string, unknown>, key: string, get: () => unknown): Record<string, unknown> {
  return Object.defineProperty(target, key, { get, enumerable: true, configurable: true });
}

const plain = (e: EnvelopeSpec): Case['expect'] => ({ kind: 'value', value: JSON.parse(JSON.stringify(e)) });

// --- 11. Hostile envelope objects ----------------------------------------------------------------
type EnvelopeHostility =
  | { proxy: Trap[] }
  | { revoked: true }
  | { throwingGetter: (typeof ENVELOPE_FIELDS)[number] }
  | { exotic: (typeof ENVELOPE_FIELDS)[number]; value: 'bigint' | 'symbol' | 'function' | 'boxed' | 'date' }
  | { harmless: 'cycle-extra' | 'cycle-headers' | 'bigint-extra' | 'null-prototype' | 'transparent-proxy' | 'class-instance' | 'frozen' };

export const hostileEnvelopes: Category<{ envelope: EnvelopeSpec; hostility: EnvelopeHostility }> = {
  arb: fc.record({
    envelope: anyEventEnvelope,
    hostility: fc.oneof(
      fc.record({ proxy: fc.subarray([...TRAPS], { minLength: 1 }) }),
      fc.constant({ revoked: true as const }),
      fc.record({ throwingGetter: fc.constantFrom(...ENVELOPE_FIELDS) }),
      fc.record({
        exotic: fc.constantFrom(...ENVELOPE_FIELDS),
        value: fc.constantFrom('bigint' as const, 'symbol' as const, 'function' as const, 'boxed' as const, 'date' as const),
      }),
      fc.record({
        harmless: fc.constantFrom(
          'cycle-extra' as const, 'cycle-headers' as const, 'bigint-extra' as const, 'null-prototype' as const,
          'transparent-proxy' as const, 'class-instance' as const, 'frozen' as const,
        ),
      }),
    ),
  }),
  make: ({ envelope, hostility: h }) => {
    const malformed: Case['expect'] = { kind: 'reasons', reasons: [DeadLetterReason.MalformedEnvelope] };
    const copy = () => JSON.parse(JSON.stringify(envelope)) as Record<string, unknown>;
    if ('proxy' in h) {
      // Unreadable fields make a malformed envelope; traps the checks never touch change nothing.
      return { input: trapping(copy(), h.proxy), expect: h.proxy.includes('get') || h.proxy.includes('has') ? malformed : plain(envelope) };
    }
    if ('revoked' in h) return { input: revoked(), expect: malformed };
    if ('throwingGetter' in h) {
      return {
        input: withGetter(copy(), h.throwingGetter, () => {
          throw new HostileInputError(`${h.throwingGetter} getter`);
        }),
        expect: malformed,
      };
    }
    if ('exotic' in h) {
      const values = { bigint: 42n, symbol: Symbol('x'), function: () => 'event', boxed: Object('event'), date: new Date(0) };
      const e = copy();
      e[h.exotic] = values[h.value];
      // Any object will do as headers.
      const harmless = h.exotic === 'headers' && (h.value === 'boxed' || h.value === 'date');
      return { input: e, expect: harmless ? plain({ ...envelope, headers: {} }) : malformed };
    }
    const e = copy();
    switch (h.harmless) {
      case 'cycle-extra':
        e.extra = cyclic();
        break;
      case 'cycle-headers':
        (e.headers as Record<string, unknown>).loop = e.headers;
        break;
      case 'bigint-extra':
        e.extra = 10n ** 30n;
        break;
      case 'null-prototype':
        return { input: Object.assign(Object.create(null), e), expect: plain(envelope) };
      case 'transparent-proxy':
        return { input: new Proxy(e, {}), expect: plain(envelope) };
      case 'class-instance':
        return { input: Object.assign(new (class Message {})(), e), expect: plain(envelope) };
      case 'frozen':
        return { input: deepFreeze(e), expect: plain(envelope) };
    }
    return { input: e, expect: plain(envelope) };
  },
};

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// --- 12. Hostile payloads ------------------------------------------------------------------------
type PayloadHostility =
  | { proxy: Trap[] }
  | { revoked: true }
  | { throwingPayloadGetter: true }
  | { throwingGetterIn: number }
  | { cycleAt: number }
  | { bigintAt: number }
  | { builtInAt: number; value: 'date' | 'map' | 'set' | 'regexp' | 'typed-array' }
  | { harmlessExtra: 'cycle' | 'bigint' | 'symbol' | 'function' | 'symbol-key' | 'undefined' }
  | { hugeAndNotJson: 'bigint' | 'cycle'; over: number };

export const hostilePayloads: Category<{ envelope: EnvelopeSpec; hostility: PayloadHostility }> = {
  arb: fc.record({
    envelope: envelopeOf(fc.constantFrom(...EVENT_TYPES)),
    hostility: fc.oneof(
      fc.record({ proxy: fc.subarray([...TRAPS], { minLength: 1 }) }),
      fc.constant({ revoked: true as const }),
      fc.constant({ throwingPayloadGetter: true as const }),
      fc.record({ throwingGetterIn: fc.nat() }),
      fc.record({ cycleAt: fc.nat() }),
      fc.record({ bigintAt: fc.nat() }),
      fc.record({
        builtInAt: fc.nat(),
        value: fc.constantFrom('date' as const, 'map' as const, 'set' as const, 'regexp' as const, 'typed-array' as const),
      }),
      fc.record({
        harmlessExtra: fc.constantFrom('cycle' as const, 'bigint' as const, 'symbol' as const, 'function' as const, 'symbol-key' as const, 'undefined' as const),
      }),
      fc.record({ hugeAndNotJson: fc.constantFrom('bigint' as const, 'cycle' as const), over: fc.integer({ min: 1, max: 20_000 }) }),
    ),
  }),
  make: ({ envelope, hostility: h }, world) => {
    const e = JSON.parse(JSON.stringify(envelope)) as Record<string, unknown>;
    const payload = e.payload as Record<string, unknown>;
    const keys = Object.keys(payload);
    const at = (n: number) => keys[n % keys.length]!;
    const unreadable = (input: unknown): Case => ({ input, expect: { kind: 'value', value: JSON.parse(JSON.stringify(envelope)), or: UNREADABLE } });
    const invalid = (key: string): Case['expect'] => ({ kind: 'value', value: { ...envelope, payload: { ...payload, [key]: {} } } });
    if ('proxy' in h) return unreadable({ ...e, payload: trapping(payload, h.proxy) });
    if ('revoked' in h) return { input: { ...e, payload: revoked() }, expect: { kind: 'reasons', reasons: UNREADABLE } };
    if ('throwingPayloadGetter' in h) {
      return {
        input: withGetter(e, 'payload', () => {
          throw new HostileInputError('payload getter');
        }),
        expect: { kind: 'reasons', reasons: UNREADABLE },
      };
    }
    if ('throwingGetterIn' in h) {
      const key = at(h.throwingGetterIn);
      withGetter(payload, key, () => {
        throw new HostileInputError(`payload.${key} getter`);
      });
      return { input: e, expect: { kind: 'reasons', reasons: UNREADABLE } };
    }
    if ('cycleAt' in h) {
      const key = at(h.cycleAt);
      payload[key] = cyclic();
      return { input: e, expect: invalid(key) };
    }
    if ('bigintAt' in h) {
      const key = at(h.bigintAt);
      payload[key] = 7n;
      return { input: e, expect: invalid(key) };
    }
    if ('builtInAt' in h) {
      const key = at(h.builtInAt);
      const values = { date: new Date(0), map: new Map([['a', 1]]), set: new Set([1]), regexp: /x/, 'typed-array': new Uint8Array(3) };
      payload[key] = values[h.value];
      return { input: e, expect: invalid(key) };
    }
    if ('harmlessExtra' in h) {
      const extras = { cycle: cyclic(), bigint: 1n, symbol: Symbol('s'), function: () => 1, undefined };
      if (h.harmlessExtra === 'symbol-key') payload[Symbol('key') as unknown as string] = 1;
      else payload.extra = extras[h.harmlessExtra];
      return { input: e, expect: plain(envelope) };
    }
    // Over the limit however it is counted: a BigInt or a cycle must not make the size unknown (and so 0).
    payload.padding = 'x'.repeat(world.maxPayloadBytes + h.over);
    payload.extra = h.hugeAndNotJson === 'bigint' ? 1n : cyclic();
    return { input: e, expect: { kind: 'reasons', reasons: [DeadLetterReason.PayloadTooLarge] } };
  },
};

// --- 13. Getters that answer differently on a later read -----------------------------------------
export const shiftingGetters: Category<{
  envelope: EnvelopeSpec;
  field: string;
  honestReads: number;
  then: 'throw' | 'wrong-type' | 'other-type-name' | 'other-order';
}> = {
  arb: fc.record({
    envelope: anyEventEnvelope,
    field: fc.constantFrom(...ENVELOPE_FIELDS, 'payload'),
    honestReads: fc.integer({ min: 0, max: 8 }),
    then: fc.constantFrom('throw' as const, 'wrong-type' as const, 'other-type-name' as const, 'other-order' as const),
  }),
  make: ({ envelope, field, honestReads, then }) => {
    const e = JSON.parse(JSON.stringify(envelope)) as Record<string, unknown>;
    const honest = e[field];
    let reads = 0;
    withGetter(e, field, () => {
      if (reads++ < honestReads) return honest;
      if (then === 'throw') throw new HostileInputError(`${field} read #${reads}`);
      if (then === 'wrong-type') return 42n;
      if (then === 'other-type-name') return field === 'type' ? 'OrderCreated' : 'other';
      return field === 'payload' ? { orderId: 'someone-else', reason: 'r' } : honest;
    });
    return { input: e, expect: { kind: 'anything' } };
  },
};
