/**
 * The in-memory store's history arena: rows kept as UTF-8 in buffers outside the heap, linked newest
 * to oldest per instance. What could go wrong is at the edges: a row that straddles the end of a chunk,
 * a row larger than a chunk, text that is not ASCII, and the release of a deleted instance's rows.
 */
import { describe, expect, it } from 'vitest';
import { HistoryArena, NO_ROW } from '../../src/repository/history-arena.ts';

/** Appends `rows` as one instance's history; the positions, oldest first. */
function chain(arena: HistoryArena, rows: readonly string[]): number[] {
  const positions: number[] = [];
  let prev = NO_ROW;
  rows.forEach((row, i) => positions.push((prev = arena.append(prev, row, i * 7919))));
  return positions;
}

function readBack(arena: HistoryArena, head: number): string[] {
  const out: string[] = [];
  for (let p = head; p !== NO_ROW; p = arena.prev(p)) out.unshift(arena.row(p));
  return out;
}

function hashesOf(arena: HistoryArena, head: number): number[] {
  const out: number[] = [];
  for (let p = head; p !== NO_ROW; p = arena.prev(p)) out.unshift(arena.hash(p));
  return out;
}

describe('HistoryArena', () => {
  it('reads back every row, its hash and its predecessor, across chunk ends and for rows larger than a chunk', () => {
    const arena = new HistoryArena();
    // Rows of every size from 1 byte to 1.5 MiB, with 2-, 3- and 4-byte UTF-8 characters, interleaved over three instances.
    const texts = Array.from({ length: 600 }, (_, i) => `${i}:${'é€😀x'.repeat((i * 37) % 2000)}${i % 97 === 0 ? 'y'.repeat(1_500_000 + i) : ''}`);
    const heads = [NO_ROW, NO_ROW, NO_ROW];
    const expected: string[][] = [[], [], []];
    texts.forEach((text, i) => {
      heads[i % 3] = arena.append(heads[i % 3]!, text, i);
      expected[i % 3]!.push(text);
      expect(arena.hash(heads[i % 3]!)).toBe(i);
    });
    for (let k = 0; k < 3; k++) expect(readBack(arena, heads[k]!)).toEqual(expected[k]);
    expect(arena.bytes).toBe(texts.reduce((sum, t) => sum + 16 + Buffer.byteLength(t), 0));
  });

  it('frees a chunk once every row in it was released, and refuses to read a released row', () => {
    const arena = new HistoryArena();
    const big = 'x'.repeat(300_000);
    // a's first three rows fill the first chunks (64 KiB and up, doubling); its fourth and b's two share the last.
    const a = chain(arena, [big, big, big, big]);
    const b = chain(arena, [big, big]);
    expect(arena.bytes).toBe(6 * (16 + big.length));
    arena.release(a.at(-1)!);
    expect(arena.bytes).toBe(2 * (16 + big.length));
    expect(arena.capacity).toBe(1024 * 1024);
    // The chunks that held only a's rows are gone; the last still holds b's.
    expect(() => arena.row(a[0]!)).toThrow(RangeError);
    expect(readBack(arena, b.at(-1)!)).toEqual([big, big]);
    arena.release(b.at(-1)!);
    expect(arena.bytes).toBe(0);
  });

  it('starts small: a store with a few rows holds one 64 KiB chunk', () => {
    const arena = new HistoryArena();
    chain(arena, Array.from({ length: 100 }, (_, i) => `row ${i}`));
    expect(arena.capacity).toBe(64 * 1024);
  });

  it('compacts: the rows still held move to new chunks, in order and with their hashes, and the released space goes', () => {
    const arena = new HistoryArena();
    // Two long-lived instances with a row in every chunk, among the rows of 400 short-lived ones; 60 KiB rows, 28 MiB in all.
    const row = (tag: string, i: number) => `${tag}-${i}:${'é'.repeat(30_000)}`;
    const kept = [{ history: NO_ROW }, { history: NO_ROW }];
    const gone: number[] = [];
    let keptBytes = 0;
    for (let i = 0; i < 400; i++) {
      if (i % 10 === 0) {
        for (const [k, h] of kept.entries()) {
          h.history = arena.append(h.history, row(`kept${k}`, i), k * 1000 + i);
          keptBytes += 16 + Buffer.byteLength(row(`kept${k}`, i));
        }
      }
      gone.push(arena.append(NO_ROW, row('gone', i), -i));
    }
    expect(arena.fragmented).toBe(false);
    for (const head of gone) arena.release(head);
    // Every chunk still holds a kept row or is the current one: the released bytes stay until compaction.
    expect(arena.capacity - arena.bytes).toBeGreaterThan(16 << 20);
    expect(arena.fragmented).toBe(true);
    const before = kept.map((h) => ({ rows: readBack(arena, h.history), hashes: hashesOf(arena, h.history) }));
    arena.compact(kept);
    expect(arena.fragmented).toBe(false);
    expect(arena.bytes).toBe(keptBytes);
    expect(arena.capacity).toBeLessThan(2 * arena.bytes);
    expect(kept.map((h) => ({ rows: readBack(arena, h.history), hashes: hashesOf(arena, h.history) }))).toEqual(before);
    expect(before[1]!.rows.slice(0, 3).map((r) => r.slice(0, 9))).toEqual(['kept1-0:é', 'kept1-10:', 'kept1-20:']);
    expect(before[1]!.rows).toHaveLength(40);
    // Appends and releases go on as before.
    kept[0]!.history = arena.append(kept[0]!.history, 'after', 7);
    expect(readBack(arena, kept[0]!.history).at(-1)).toBe('after');
    arena.release(kept[0]!.history);
    arena.release(kept[1]!.history);
    expect(arena.bytes).toBe(0);
  });

  it('keeps positions small integers, so an instance holds its newest row without a heap number', () => {
    const arena = new HistoryArena();
    const positions = chain(arena, Array.from({ length: 20_000 }, (_, i) => `row ${i} ${'z'.repeat(100)}`));
    for (const p of positions) expect(Number.isSafeInteger(p) && p >= 0 && p < 2 ** 30).toBe(true);
    expect(new Set(positions).size).toBe(positions.length);
  });
});
