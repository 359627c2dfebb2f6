/**
 * @module repository/history-arena
 * Where the in-memory store keeps history rows: UTF-8 text in large buffers outside the JavaScript heap,
 * each row linked to the one before it of the same instance.
 *
 * Why not strings: history only grows (a row per applied event, kept until its instance is purged).
 * As strings, every row was copied by two young-generation collections and then traced by every major
 * one, so a process slowed down the longer it ran: with 1e5 live accounts, from 30,000 to 17,000
 * events/s within 40 s, all of it collection time (the same run without rows kept held 30,000–42,000).
 * Bytes in a buffer are never copied or traced: a row costs the collector nothing once written.
 *
 * A row is `[prev: float64][hash: int32][length: uint32][UTF-8 text]`, 8-byte aligned. A position is
 * `chunk × SLOTS + offset / 8`: a small integer for the first 16 GiB written, kept inside the instance
 * without an object of its own.
 */

/**
 * Rows are written into chunks of up to this size (the first 64 KiB, each next one twice the last, so
 * that a store with a few instances holds little); a larger row gets a chunk of its own.
 */
const CHUNK_BYTES = 1 << 20;
const FIRST_CHUNK_BYTES = 1 << 16;
const SLOTS = CHUNK_BYTES / 8;
const HEADER = 16;

/** The position before an instance's first row. */
export const NO_ROW = -1;

/** Released bytes a store may hold in chunks kept by live rows before `fragmented` says to compact. */
const COMPACT_FLOOR = 16 << 20;

/** What `compact` moves: anything holding the position of its newest row. */
export interface RowHead {
  history: number;
}

export class HistoryArena {
  #chunks: (Buffer | undefined)[] = [];
  /** Bytes of rows not yet released, per chunk: a chunk whose rows are all released is dropped. */
  #live: number[] = [];
  #current = -1;
  #offset = 0;
  /** The current chunk's size. */
  #end = 0;
  #bytes = 0;
  #capacity = 0;

  /** Bytes of rows held (headers included). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes of the chunks held: rows, and the room left in them. */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Whether the chunks hold more released bytes than live ones (and over 16 MiB): one live row keeps
   * its chunk, so a store that purges most instances but keeps a few long-lived ones would otherwise
   * keep nearly every chunk it ever wrote.
   */
  get fragmented(): boolean {
    return this.#capacity - this.#bytes > Math.max(COMPACT_FLOOR, this.#bytes);
  }

  /** Writes `row` after `prev` (`NO_ROW` for an instance's first) and returns its position. */
  append(prev: number, row: string, hash: number): number {
    // A UTF-16 unit is at most 3 bytes of UTF-8: only a row near the chunk's end needs its exact size.
    let size = HEADER + row.length * 3;
    if (this.#offset + size > this.#end) size = HEADER + Buffer.byteLength(row, 'utf8');
    const position = this.#place(size);
    const chunk = this.#chunks[Math.floor(position / SLOTS)]!;
    const at = offsetOf(position);
    const length = chunk.write(row, at + HEADER, 'utf8');
    chunk.writeDoubleLE(prev, at);
    chunk.writeInt32LE(hash, at + 8);
    chunk.writeUInt32LE(length, at + 12);
    this.#placed(position, HEADER + length);
    return position;
  }

  row(position: number): string {
    const chunk = this.#chunkOf(position);
    const at = offsetOf(position);
    return chunk.toString('utf8', at + HEADER, at + HEADER + chunk.readUInt32LE(at + 12));
  }

  prev(position: number): number {
    return this.#chunkOf(position).readDoubleLE(offsetOf(position));
  }

  hash(position: number): number {
    return this.#chunkOf(position).readInt32LE(offsetOf(position) + 8);
  }

  /** Releases `head` and every row before it (an instance deleted): a chunk left with none is freed. */
  release(head: number): void {
    for (let p = head; p !== NO_ROW; ) {
      const index = Math.floor(p / SLOTS);
      const size = this.#sizeAt(p);
      const prev = this.prev(p);
      this.#bytes -= size;
      this.#live[index]! -= size;
      if (this.#live[index] === 0 && index !== this.#current) this.#free(index);
      p = prev;
    }
  }

  /**
   * Copies the rows of every one of `heads` (all that hold rows here) into new chunks, in order, points
   * each at its new newest row, and drops the old chunks. The copies are all made before any head
   * moves, so a failure leaves everything as it was. Linear in the bytes still live, which `fragmented`
   * makes at most the bytes released since the last compaction.
   */
  compact(heads: Iterable<RowHead>): void {
    const next = new HistoryArena();
    const moved: Array<[RowHead, number]> = [];
    const chain: number[] = [];
    for (const h of heads) {
      chain.length = 0;
      for (let p = h.history; p !== NO_ROW; p = this.prev(p)) chain.push(p);
      let prev = NO_ROW;
      for (let i = chain.length - 1; i >= 0; i--) prev = next.#copy(this, chain[i]!, prev);
      moved.push([h, prev]);
    }
    for (const [h, head] of moved) h.history = head;
    this.#chunks = next.#chunks;
    this.#live = next.#live;
    this.#current = next.#current;
    this.#offset = next.#offset;
    this.#end = next.#end;
    this.#bytes = next.#bytes;
    this.#capacity = next.#capacity;
  }

  /** Copies the row at `position` of `from` here, after `prev`; its new position. */
  #copy(from: HistoryArena, position: number, prev: number): number {
    const source = from.#chunkOf(position);
    const at = offsetOf(position);
    const size = HEADER + source.readUInt32LE(at + 12);
    const to = this.#place(size);
    const target = this.#chunks[Math.floor(to / SLOTS)]!;
    source.copy(target, offsetOf(to), at, at + size);
    target.writeDoubleLE(prev, offsetOf(to));
    this.#placed(to, size);
    return to;
  }

  /** Where a row of at most `size` bytes goes: the current chunk, a new one when it would not fit, or one of its own when larger than any. */
  #place(size: number): number {
    if (size > CHUNK_BYTES) return this.#chunk(size) * SLOTS;
    if (this.#offset + size > this.#end) {
      const next = Math.min(CHUNK_BYTES, Math.max(FIRST_CHUNK_BYTES, this.#end * 2, size));
      this.#current = this.#chunk(next);
      this.#offset = 0;
      this.#end = next;
    }
    return this.#current * SLOTS + this.#offset / 8;
  }

  /** Counts a row of `size` bytes written at `position`, and moves past it (8-byte aligned). */
  #placed(position: number, size: number): void {
    const index = Math.floor(position / SLOTS);
    this.#live[index]! += size;
    this.#bytes += size;
    if (index === this.#current) this.#offset = offsetOf(position) + ((size + 7) & ~7);
  }

  /** A new chunk of `size` bytes; its index. */
  #chunk(size: number): number {
    this.#chunks.push(Buffer.allocUnsafeSlow(size));
    this.#live.push(0);
    this.#capacity += size;
    return this.#chunks.length - 1;
  }

  #free(index: number): void {
    this.#capacity -= this.#chunks[index]!.length;
    this.#chunks[index] = undefined;
  }

  #sizeAt(position: number): number {
    return HEADER + this.#chunkOf(position).readUInt32LE(offsetOf(position) + 12);
  }

  #chunkOf(position: number): Buffer {
    const chunk = this.#chunks[Math.floor(position / SLOTS)];
    if (chunk === undefined) throw new RangeError(`history row ${position} was released`);
    return chunk;
  }
}

function offsetOf(position: number): number {
  return (position % SLOTS) * 8;
}
