import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../../src/runtime/min-heap.ts';

describe('MinHeap', () => {
  it('pops numbers smallest first, duplicates included', () => {
    const heap = new MinHeap();
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 263);
    for (const v of values) heap.push(v);
    expect(heap.size).toBe(500);
    const out: number[] = [];
    while (heap.size > 0) out.push(heap.pop()!);
    expect(out).toEqual([...values].sort((a, b) => a - b));
    expect(heap.pop()).toBeUndefined();
    expect(heap.peek()).toBeUndefined();
  });
});
