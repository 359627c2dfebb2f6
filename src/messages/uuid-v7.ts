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

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

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
  const r = pool.subarray(poolOffset, poolOffset + 10);
  poolOffset += 10;

  if (now > lastMs) {
    lastMs = now;
    sequence = ((r[0]! & 0x07) << 8) | r[1]!; // random start, leaves room to count up
  } else {
    sequence++;
    if (sequence > 0xfff) {
      lastMs++;
      sequence = 0;
    }
  }
  const ms = lastMs;
  const hi = Math.floor(ms / 0x10000);
  const lo = ms & 0xffff;
  return (
    HEX[(hi >>> 24) & 0xff]! +
    HEX[(hi >>> 16) & 0xff]! +
    HEX[(hi >>> 8) & 0xff]! +
    HEX[hi & 0xff]! +
    '-' +
    HEX[(lo >>> 8) & 0xff]! +
    HEX[lo & 0xff]! +
    '-' +
    HEX[0x70 | ((sequence >>> 8) & 0x0f)]! +
    HEX[sequence & 0xff]! +
    '-' +
    HEX[0x80 | (r[2]! & 0x3f)]! +
    HEX[r[3]!]! +
    '-' +
    HEX[r[4]!]! +
    HEX[r[5]!]! +
    HEX[r[6]!]! +
    HEX[r[7]!]! +
    HEX[r[8]!]! +
    HEX[r[9]!]!
  );
}
