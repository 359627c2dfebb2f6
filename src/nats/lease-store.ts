/**
 * @module nats/lease-store
 * Membership and partition leases in a JetStream key-value bucket whose entries expire after the lease
 * time (`ttl`): a member puts `m.<member>` at every beat; a lease is `p.<n>`, taken with `create` (which
 * fails if the key exists), renewed with `update` at the revision this member wrote last (which fails
 * if anybody else wrote since), and deleted at that revision only.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { LeaseStore } from '../partitioning/coordinator.ts';

export class NatsLeaseStore implements LeaseStore {
  readonly #revisions = new Map<number, number>();

  constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly bucket: string,
    private readonly member: string,
  ) {}

  /**
   * Puts this member, then lists the live ones from the bucket's stream info (its subjects with a
   * message): one request, where `kv.keys()` would create a consumer at every beat.
   */
  async heartbeat(): Promise<readonly string[]> {
    await this.kv.put(`m.${this.member}`, '');
    const prefix = `$KV.${this.bucket}.m.`;
    const info = await this.jsm.streams.info(`KV_${this.bucket}`, { subjects_filter: `${prefix}>` });
    return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  }

  async acquire(partition: number): Promise<boolean> {
    try {
      this.#revisions.set(partition, await this.kv.create(`p.${partition}`, this.member));
      return true;
    } catch {
      // Held: by another member, or still by this one (it stopped reading when the lease looked about to
      // lapse, and nobody took it since): then it is taken back at the revision read.
      const entry = await this.kv.get(`p.${partition}`).catch(() => null);
      if (entry === null || entry.operation !== 'PUT' || entry.string() !== this.member) return false;
      try {
        this.#revisions.set(partition, await this.kv.update(`p.${partition}`, this.member, entry.revision));
        return true;
      } catch {
        return false;
      }
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

  /** Purged, not deleted: a delete marker would keep the member listed until it expires. */
  async leave(): Promise<void> {
    await this.jsm.streams.purge(`KV_${this.bucket}`, { filter: `$KV.${this.bucket}.m.${this.member}` });
  }
}
