import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignPartitions } from '../../src/partitioning/assignment.ts';

const members = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 12 });
const partitions = fc.integer({ min: 1, max: 64 });

describe('assigning partitions to live members', () => {
  it('gives every partition to exactly one member, and no member more than one partition above another', () => {
    fc.assert(
      fc.property(members, partitions, (ms, p) => {
        const owned = [...assignPartitions(ms, p).values()];
        expect(owned.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: p }, (_, i) => i));
        const sizes = owned.map((o) => o.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('is the same answer whatever order the members are listed in, and with repeats', () => {
    fc.assert(
      fc.property(members, partitions, (ms, p) => {
        const forward = assignPartitions(ms, p);
        const backward = assignPartitions([...ms].reverse().concat(ms), p);
        for (const m of ms) expect(backward.get(m)).toEqual(forward.get(m));
      }),
    );
  });

  it('moves few partitions when a member joins: only about its share', () => {
    let moved = 0;
    let runs = 0;
    for (let n = 1; n < 8; n++) {
      const before = Array.from({ length: n }, (_, i) => `worker-${i}`);
      const after = [...before, `worker-${n}`];
      const a = assignPartitions(before, 64);
      const b = assignPartitions(after, 64);
      for (const m of before) moved += a.get(m)!.filter((p) => !b.get(m)!.includes(p)).length;
      runs++;
      // The newcomer's share is 64/(n+1); a reshuffle would move about 64·n/(n+1).
      expect(moved / runs).toBeLessThan(64);
    }
    const newcomerShares = Array.from({ length: 7 }, (_, n) => Math.ceil(64 / (n + 2)));
    expect(moved).toBeLessThanOrEqual(2 * newcomerShares.reduce((x, y) => x + y, 0));
  });

  it('gives nothing to nobody, and refuses a partition count that is not a positive integer', () => {
    expect(assignPartitions([], 8).size).toBe(0);
    expect(() => assignPartitions(['a'], 0)).toThrow(RangeError);
    expect(() => assignPartitions(['a'], 1.5)).toThrow(RangeError);
  });
});
