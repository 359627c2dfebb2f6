import { describe, expect, it } from 'vitest';
import { fnv1a32, partitionKey, partitionOf } from '../../src/partitioning/partition.ts';

describe('partitioning by correlation id', () => {
  it('is FNV-1a: the published test vectors hash to their known values', () => {
    // Vectors of the FNV reference (32-bit FNV-1a): a hash that changes between releases would split instances.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('sends one key to the same partition every time', () => {
    const first = partitionOf('order-42', 8);
    for (let i = 0; i < 100; i++) expect(partitionOf('order-42', 8)).toBe(first);
  });

  it('hashes the UTF-8 bytes, so non-ASCII ids are stable too', () => {
    expect(fnv1a32('commande-é')).toBe(fnv1a32('commande-é'));
    expect(fnv1a32('é')).not.toBe(fnv1a32('\u00e9'.normalize('NFD')));
  });

  it('spreads similar ids evenly over the partitions', () => {
    for (const partitions of [2, 8, 16]) {
      const counts = new Array<number>(partitions).fill(0);
      const keys = 20_000;
      for (let i = 0; i < keys; i++) counts[partitionOf(`order-${i}`, partitions)]!++;
      const mean = keys / partitions;
      for (const c of counts) expect(Math.abs(c - mean) / mean).toBeLessThan(0.1);
    }
  });

  it('stays below the partition count and refuses a count that is not a positive integer', () => {
    for (let i = 0; i < 1000; i++) expect(partitionOf(`k${i}`, 3)).toBeLessThan(3);
    expect(() => partitionOf('k', 0)).toThrow(RangeError);
    expect(() => partitionOf('k', 2.5)).toThrow(RangeError);
  });

  it('partitions by the correlation id, and by the message id for a message that belongs to no instance', () => {
    expect(partitionKey({ correlationId: 'o-1', messageId: 'm-1' })).toBe('o-1');
    expect(partitionKey({ messageId: 'm-1' })).toBe('m-1');
  });
});
