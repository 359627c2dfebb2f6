/**
 * @module redis/lease-store
 * Membership and partition leases in Redis: a sorted set of members scored by their last heartbeat
 * (server time), and one key per partition holding its owner with a TTL (set only when free, or still
 * this member's own). Renewing and
 * releasing check the owner first, in a script, so a member never extends or deletes a lease it lost.
 */
import type { Redis } from 'ioredis';
import type { LeaseStore } from '../partitioning/coordinator.ts';
import { membersKey, ownerKey, type RedisNames } from './keys.ts';
import { ACQUIRE, HEARTBEAT, RELEASE, RENEW } from './scripts.ts';

export class RedisLeaseStore implements LeaseStore {
  constructor(
    private readonly redis: Redis,
    private readonly names: RedisNames,
    private readonly member: string,
    private readonly memberTtlMs: number,
    private readonly leaseMs: number,
  ) {}

  async heartbeat(): Promise<readonly string[]> {
    return (await this.redis.eval(HEARTBEAT, 1, membersKey(this.names), this.member, this.memberTtlMs)) as string[];
  }

  async acquire(partition: number): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, ownerKey(this.names, partition), this.member, this.leaseMs)) === 1;
  }

  async renew(partition: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, ownerKey(this.names, partition), this.member, this.leaseMs)) === 1;
  }

  async release(partition: number): Promise<void> {
    await this.redis.eval(RELEASE, 1, ownerKey(this.names, partition), this.member);
  }

  async leave(): Promise<void> {
    await this.redis.zrem(membersKey(this.names), this.member);
  }
}
