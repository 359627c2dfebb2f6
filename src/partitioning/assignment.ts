/**
 * @module partitioning/assignment
 * Which live member owns which partition: a pure function of the member ids and the partition count,
 * so every member computes the same answer from the same membership list without talking to the others.
 *
 * Rendezvous (highest-random-weight) hashing with quotas: each partition goes to the member that scores
 * highest for it among those still under their quota (`floor(partitions / members)`, one more for as
 * many members as the division leaves over). The quotas keep the spread even
 * (no member holds more than one partition above any other); the hashing keeps moves few: when a member
 * joins or leaves, mostly the partitions it gains or loses move, not a reshuffle of everything.
 */
import { fnv1a32 } from './partition.ts';

/**
 * The partitions of each member, every partition to exactly one member. Members are deduplicated and
 * sorted first, so the order they are listed in does not matter.
 *
 * @example
 * assignPartitions(['w-a', 'w-b', 'w-c'], 8); // Map { 'w-a' => [0, 5, 6], 'w-b' => [1, 3, 7], 'w-c' => [2, 4] } (say)
 */
export function assignPartitions(members: readonly string[], partitions: number): Map<string, number[]> {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  const live = [...new Set(members)].sort();
  const owned = new Map<string, number[]>(live.map((m) => [m, []]));
  if (live.length === 0) return owned;
  // Exact quotas: everyone gets `base`, and `extra` members one more. A plain cap of ceil(P/n) is not
  // enough: with 5 partitions over 4 members it allows 2, 2, 1, 0.
  const base = Math.floor(partitions / live.length);
  let extra = partitions % live.length;
  // Partitions in a fixed order, each taking its best-scoring member with room left.
  for (let p = 0; p < partitions; p++) {
    let best: string | undefined;
    let bestScore = -1;
    for (const m of live) {
      const has = owned.get(m)!.length;
      if (has > base || (has === base && extra === 0)) continue;
      const score = weight(m, p);
      if (score > bestScore || (score === bestScore && best !== undefined && m < best)) {
        best = m;
        bestScore = score;
      }
    }
    if (owned.get(best!)!.length === base) extra--;
    owned.get(best!)!.push(p);
  }
  return owned;
}

/** The partitions `member` owns among `members` (empty when it is not one of them). */
export function partitionsOf(member: string, members: readonly string[], partitions: number): number[] {
  return assignPartitions(members, partitions).get(member) ?? [];
}

/** The member's score for a partition: a stable hash of both, the same in every process and release. */
function weight(member: string, partition: number): number {
  // A second mixing round: FNV alone scores `w-1`/`w-2` too alike for small partition numbers.
  let h = fnv1a32(`${partition}\u0000${member}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
