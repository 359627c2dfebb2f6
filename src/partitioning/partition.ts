/**
 * @module partitioning/partition
 * Which partition a message goes to (every broker transport). A stable hash of the correlation id, so every message of one
 * saga instance lands on the same queue, and with single-active-consumer queues on the same process:
 * version conflicts between processes stay rare (the version check still catches the rest). The hash
 * must never change between releases, or two versions of a service would split one instance's events.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `key`: tiny, fast, stable everywhere, and spreads short similar
 * keys (`order-1`, `order-2`, …) well.
 *
 * @example
 * fnv1a32('order-1'); // 0x…, the same in every process and release
 */
export function fnv1a32(key: string): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * The partition (0 … partitions-1) of a key.
 *
 * @example
 * partitionOf('order-1', 8); // always the same number below 8
 */
export function partitionOf(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  return fnv1a32(key) % partitions;
}

/** The key a message is partitioned by: its correlation id, or its own id when it belongs to no instance. */
export function partitionKey(envelope: { readonly correlationId?: string | undefined; readonly messageId: string }): string {
  return envelope.correlationId ?? envelope.messageId;
}
