/**
 * @module rabbitmq/rebalancer
 * The `rebalance` side of the RabbitMQ transport: on each heartbeat, what this instance gives up, what it
 * takes, and what it tells the others. The spread comes from the membership (`membership.ts`,
 * `balance-plan.ts`); a partition is consumed only under its lock (`partition-locks.ts`), and given up in
 * this order: consumer cancelled, messages in hand finished and acknowledged, lock deleted, claim dropped
 * from the heartbeat. The transport owns the connection and the consumers; this owns that order.
 */
import type { Link } from './broker-connection.ts';
import type { InFlight } from '../partitioning/in-flight.ts';
import { planBalance } from './balance-plan.ts';
import type { Membership } from './membership.ts';
import { PartitionLocks } from './partition-locks.ts';

/** What an instance knows and holds (`RabbitMqTransport#balance`). */
export interface BalanceState {
  readonly members: string[];
  readonly draining: number[];
  readonly locked: number[];
  readonly heldByOthers: Record<number, string>;
}

export interface RebalancerOptions {
  readonly membership: Membership;
  readonly heartbeatMs: number;
  readonly partitions: number;
  readonly inFlight: InFlight;
  /** Runs another step soon (a drain finished: the new owner need not wait for the next heartbeat). */
  readonly resync: () => void;
  readonly onError: (error: unknown) => void;
}

export class Rebalancer {
  readonly #o: RebalancerOptions;
  readonly #locks: PartitionLocks;
  /** Partitions whose consumer was cancelled and whose messages in flight are still being finished. */
  readonly #draining = new Set<number>();
  /** When this member started listening on the current connection; it takes nothing before it heard everyone. */
  #joined = { generation: -1, at: 0 };
  /** Whether the others may count this instance a member (it beat since it last said it leaves). */
  #member = false;

  constructor(options: RebalancerOptions, locks: PartitionLocks) {
    this.#o = options;
    this.#locks = locks;
  }

  get heartbeatMs(): number {
    return this.#o.heartbeatMs;
  }

  /** The membership's consumer is in place on `link`: listening starts now. */
  joined(link: Link): void {
    this.#joined = { generation: link.generation, at: Date.now() };
  }

  state(link: Link | undefined): BalanceState {
    const view = this.#o.membership.view();
    return {
      members: [...view.members].sort(),
      draining: [...this.#draining].sort((a, b) => a - b),
      locked: link ? this.#locks.heldOn(link) : [],
      heldByOthers: Object.fromEntries([...view.heldByOthers].sort(([a], [b]) => a - b)),
    };
  }

  /**
   * One heartbeat: gives up what moved away (cancelled now, drained in the background, claimed in the
   * beats until drained, its lock released once drained), takes what is its own, unclaimed and lockable
   * (`consume`), and says what it holds.
   */
  async step(link: Link, tags: Map<number, string>, consume: (p: number) => Promise<void>): Promise<void> {
    const { membership, heartbeatMs, partitions, inFlight } = this.#o;
    for (const p of this.#locks.heldOn(link)) if (!tags.has(p) && !this.#draining.has(p)) await this.#locks.release(link, p);
    const listening = this.#joined.generation === link.generation ? Date.now() - this.#joined.at : 0;
    const warm = listening >= Math.max(2 * heartbeatMs, membership.memberTtlMs / 2);
    const plan = planBalance({ member: membership.member, partitions, consumed: tags.keys(), view: membership.view(), warm });
    for (const p of plan.stop) {
      const tag = tags.get(p)!;
      tags.delete(p);
      this.#draining.add(p);
      try {
        await link.consumer.cancel(tag);
      } finally {
        // Also when the cancel fails with the connection: else p would stay "draining", claimed in every
        // beat, and nobody would ever consume it again.
        void inFlight.drain(p).then(() => {
          this.#draining.delete(p);
          this.#o.resync();
        });
      }
    }
    for (const p of plan.start) {
      // Messages of p still in hand from an older connection: their redeliveries wait until they are done.
      if (this.#draining.has(p) || inFlight.count(p) > 0) continue;
      if (await this.#locks.acquire(link, p)) await consume(p);
    }
    membership.beat(link.publisher, [...new Set([...tags.keys(), ...this.#draining])], false, this.#o.onError);
    this.#member = true;
  }

  /** Stops being a member (its consumers are cancelled): finishes what is in hand, then lets the others take everything at once. */
  async leave(link: Link): Promise<void> {
    if (!this.#member) return;
    await this.#o.inFlight.drainAll();
    for (const p of this.#locks.heldOn(link)) await this.#locks.release(link, p);
    this.#o.membership.beat(link.publisher, [], true, this.#o.onError);
    this.#member = false;
  }
}
