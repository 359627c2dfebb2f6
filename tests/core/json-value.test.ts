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
