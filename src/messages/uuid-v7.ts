/**
 * @module messages/uuid-v7
 * Time-ordered UUIDs (RFC 9562 version 7): ids sort by creation time, which keeps B-tree inserts local
 * and makes ids readable as a timeline.
 */
import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in blocks: one syscall per 512 ids instead of one per id (this runs per event).
const POOL_IDS = 512;
const pool = new Uint8Array(POOL_IDS * 10);
let poolOffset = pool.length;
let lastMs = 0;
let sequence = 0;

// The id is written as ASCII into a scratch buffer and decoded once: a flat string. Concatenating 20
// pieces would make a rope of 20 nodes, and every id kept in a store would keep its rope alive.
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const out = Buffer.alloc(36, '-'.charCodeAt(0));
const LAYOUT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]; // where each byte's two digits go

function put(index: number, byte: number): void {
  const at = LAYOUT[index]!;
  out[at] = HEX[byte >>> 4]!;
  out[at + 1] = HEX[byte & 0x0f]!;
}

/**
 * A new UUIDv7. Within one millisecond, a 12-bit counter in `rand_a` keeps ids from one process monotonic.
 *
 * @example
 * uuidv7(); // '019371f2-8a4b-7c3e-9d10-6f2a1b3c4d5e'
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 10;

  if (now > lastMs) {
    lastMs = now;
    sequence = ((pool[r]! & 0x07) << 8) | pool[r + 1]!; // random start, leaves room to count up
  } else {
    sequence++;
    if (sequence > 0xfff) {
      lastMs++;
      sequence = 0;
    }
  }
  const ms = lastMs;
  const hi = Math.floor(ms / 0x10000);
  put(0, (hi >>> 24) & 0xff);
  put(1, (hi >>> 16) & 0xff);
  put(2, (hi >>> 8) & 0xff);
  put(3, hi & 0xff);
  put(4, (ms >>> 8) & 0xff);
  put(5, ms & 0xff);
  put(6, 0x70 | ((sequence >>> 8) & 0x0f));
  put(7, sequence & 0xff);
  put(8, 0x80 | (pool[r + 2]! & 0x3f));
  for (let i = 9; i < 16; i++) put(i, pool[r + i - 6]!);
  return out.toString('latin1', 0, 36);
}
