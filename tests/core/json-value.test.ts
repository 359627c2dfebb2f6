import { describe, expect, it } from 'vitest';
import { copyJsonValue, toJsonValue } from '../../src/core/json-value.ts';

const viaText = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

describe('toJsonValue', () => {
  const samples: Array<[string, unknown]> = [
    ['primitives', [1, -0.5, 'ü ✓', true, false, null]],
    ['nested objects and arrays', { a: { b: [1, { c: [[], {}] }] }, s: 'x' }],
    ['undefined, functions and symbols', { u: undefined, f: () => 1, s: Symbol('x'), keep: 1, list: [undefined, () => 1, Symbol('y'), 2] }],
    ['non-finite numbers', { n: Number.NaN, i: Infinity, m: -Infinity, list: [Number.NaN] }],
    ['dates and toJSON', { at: new Date('2025-01-02T03:04:05.006Z'), custom: { toJSON: (key: string) => `key:${key}` } }],
    ['maps, sets and class instances', { map: new Map([[1, 2]]), set: new Set([1]), point: new (class P { x = 1; y = 2; })() }],
    ['top-level undefined', undefined],
    ['a top-level date', new Date(0)],
  ];
  it.each(samples)('matches a JSON round trip: %s', (_, value) => {
    expect(toJsonValue(value)).toStrictEqual(viaText(value));
  });

  it('throws like JSON.stringify for cycles and BigInt', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toJsonValue(cyclic)).toThrow(TypeError);
    expect(() => toJsonValue({ n: 1n })).toThrow(TypeError);
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { v: 1 };
    expect(toJsonValue({ a: shared, b: [shared] })).toStrictEqual({ a: { v: 1 }, b: [{ v: 1 }] });
  });
});

describe('copyJsonValue', () => {
  it('returns an equal value that shares nothing with the original', () => {
    const original = { a: { b: [1, { c: 'd' }] } };
    const copy = copyJsonValue(original);
    expect(copy).toStrictEqual(original);
    (copy.a.b[1] as { c: string }).c = 'changed';
    expect((original.a.b[1] as { c: string }).c).toBe('d');
  });
});

describe('toJsonValue with an earlier result to share', () => {
  const earlier = toJsonValue({ tags: ['a', 'b'], address: { city: 'Lyon', lines: ['1 rue'] }, n: 1 }) as Record<string, unknown>;

  it('reuses each unchanged array and object, and copies what changed', () => {
    const next = toJsonValue({ tags: ['a', 'b'], address: { city: 'Lyon', lines: ['1 rue'] }, n: 2 }, earlier) as Record<string, unknown>;
    expect(next).toStrictEqual({ tags: ['a', 'b'], address: { city: 'Lyon', lines: ['1 rue'] }, n: 2 });
    expect(next).not.toBe(earlier);
    expect(next.tags).toBe(earlier.tags);
    expect(next.address).toBe(earlier.address);
    expect(toJsonValue({ tags: ['a', 'b'], address: { city: 'Lyon', lines: ['1 rue'] }, n: 1 }, earlier)).toBe(earlier);
  });

  // Each case differs from `earlier` in one way a shallow or one-sided comparison would miss.
  const changed: Array<[string, unknown]> = [
    ['an added key', { tags: ['a', 'b'], address: { city: 'Lyon', lines: ['1 rue'] }, n: 1, extra: null }],
    ['a removed key', { tags: ['a', 'b'], address: { city: 'Lyon', lines: ['1 rue'] } }],
    ['a key renamed, same count', { tags: ['a', 'b'], address: { city: 'Lyon', lines: ['1 rue'] }, m: 1 }],
    ['a key now undefined', { tags: ['a', 'b'], address: { city: 'Lyon', lines: ['1 rue'] }, n: undefined }],
    ['a longer array', { tags: ['a', 'b', 'c'], address: { city: 'Lyon', lines: ['1 rue'] }, n: 1 }],
    ['a deeper change', { tags: ['a', 'b'], address: { city: 'Lyon', lines: ['2 rue'] }, n: 1 }],
    ['an array where an object was', { tags: ['a', 'b'], address: ['Lyon'], n: 1 }],
  ];
  it.each(changed)('gives a new value for %s, equal to a JSON round trip, and leaves the earlier one as it was', (_, value) => {
    const before = JSON.stringify(earlier);
    const next = toJsonValue(value, earlier);
    expect(next).not.toBe(earlier);
    expect(next).toStrictEqual(viaText(value));
    expect(JSON.stringify(earlier)).toBe(before);
  });
});

describe('a key named __proto__', () => {
  // JSON.parse makes it an own key; an assignment would change the copy's prototype instead.
  const parsed = JSON.parse('{"__proto__":{"polluted":true},"ok":1}') as Record<string, unknown>;

  it('stays a key through toJsonValue and copyJsonValue', () => {
    for (const copy of [toJsonValue(parsed), copyJsonValue(toJsonValue(parsed))] as Array<Record<string, unknown>>) {
      expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
      expect(Object.keys(copy)).toEqual(['__proto__', 'ok']);
      expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"ok":1}');
      expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    }
  });
});
