/**
 * @module nats/lease-store
 * Membership and partition leases in a JetStream key-value bucket whose entries expire after the lease
 * time (`ttl`): a member puts `m.<member>` at every beat; a lease is `p.<n>`, taken with `create` (which
 * fails if the key exists), renewed with `update` at the revision this member wrote last (which fails
 * if anybody else wrote since), and deleted at that revision only.
 */
import type { KV } from '@nats-io/kv';
import type { LeaseStore } from '../partitioning/coordinator.ts';

export class NatsLeaseStore implements LeaseStore {
  readonly #revisions = new Map<number, number>();

  constructor(
    private readonly kv: KV,
    private readonly member: string,
  ) {}

  async heartbeat(): Promise<readonly string[]> {
    await this.kv.put(`m.${this.member}`, '');
    const members: string[] = [];
    for await (const key of await this.kv.keys('m.>')) members.push(key.slice(2));
    return members;
  }

  async acquire(partition: number): Promise<boolean> {
    try {
      this.#revisions.set(partition, await this.kv.create(`p.${partition}`, this.member));
      return true;
    } catch {
      return false; // held by another member (or the broker is away: the next beat tries again)
    }
  }

  async renew(partition: number): Promise<boolean> {
    const revision = this.#revisions.get(partition);
    if (revision === undefined) return false;
    try {
      this.#revisions.set(partition, await this.kv.update(`p.${partition}`, this.member, revision));
      return true;
    } catch (error) {
      if (/wrong last sequence/i.test(String(error))) {
        this.#revisions.delete(partition);
        return false;
      }
      throw error; // unknown: the coordinator keeps the lease until it may have expired
    }
  }

  async release(partition: number): Promise<void> {
    const revision = this.#revisions.get(partition);
    this.#revisions.delete(partition);
    if (revision !== undefined) await this.kv.delete(`p.${partition}`, { previousSeq: revision }).catch(() => {});
  }

  async leave(): Promise<void> {
    await this.kv.delete(`m.${this.member}`);
  }
}
