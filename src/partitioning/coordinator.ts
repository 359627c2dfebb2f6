/**
 * @module partitioning/coordinator
 * Partitions that follow the workers: the hand-over protocol shared by the broker transports that have
 * no single-active-consumer queue of their own (Redis Streams, NATS JetStream). Every `heartbeatMs` a
 * member
 *   1. records itself alive in the broker and reads who else is (`LeaseStore.heartbeat`);
 *   2. computes the even spread over the live members (`assignPartitions`, the same answer everywhere);
 *   3. gives up what it should no longer hold: stops reading it, waits until every message of it in
 *      flight is finished and acknowledged, and only then releases its lease;
 *   4. renews the leases it keeps, and tries to take the partitions it should have: a partition whose
 *      lease another member still holds (because it is draining, or died and the lease has not expired
 *      yet) is tried again on the next beat.
 * A partition is consumed only under a lease, and a lease is released only after its messages are
 * settled, so two members never consume one partition at once. A member that cannot renew stops
 * reading a partition before its lease can expire (`leaseMs - heartbeatMs`), so even a member cut off
 * from the broker does not overlap the next owner by more than the messages it already had in hand.
 */
import { assignPartitions } from './assignment.ts';

/** Membership and leases, kept in the broker itself. Each call is one atomic operation there. */
export interface LeaseStore {
  /** Records this member alive for another member-TTL; returns every live member (this one included). */
  heartbeat(): Promise<readonly string[]>;
  /** Takes the partition's lease if nobody holds it. */
  acquire(partition: number): Promise<boolean>;
  /** Extends the lease if this member still holds it; false when it lost it. */
  renew(partition: number): Promise<boolean>;
  /** Gives the lease up if this member holds it. */
  release(partition: number): Promise<void>;
  /** Removes this member from the live list, so the others rebalance at once rather than after the TTL. */
  leave(): Promise<void>;
}

/** What the transport does when it gains or loses a partition. */
export interface PartitionConsumer {
  /** Start reading the partition, picking up what a previous owner left unacknowledged. */
  start(partition: number): Promise<void>;
  /** Stop reading; resolve once the messages of the partition in flight are settled. */
  stop(partition: number): Promise<void>;
}

export interface CoordinatorOptions {
  readonly member: string;
  readonly partitions: number;
  readonly store: LeaseStore;
  readonly consumer: PartitionConsumer;
  /** How often to beat. Default 1 s. */
  readonly heartbeatMs?: number;
  /** How long a lease lasts unless renewed. Default 5 s; must exceed twice `heartbeatMs`. */
  readonly leaseMs?: number;
  readonly onError: (error: unknown) => void;
}

export class PartitionCoordinator {
  readonly #o: CoordinatorOptions;
  readonly #heartbeatMs: number;
  readonly #leaseMs: number;
  /** Owned partitions and until when this member may read them. */
  readonly #owned = new Map<number, number>();
  #members: readonly string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #beat: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: CoordinatorOptions) {
    this.#o = options;
    this.#heartbeatMs = options.heartbeatMs ?? 1_000;
    this.#leaseMs = options.leaseMs ?? 5_000;
    if (!(this.#leaseMs > 2 * this.#heartbeatMs)) throw new RangeError(`leaseMs (${this.#leaseMs}) must be more than twice heartbeatMs (${this.#heartbeatMs})`);
  }

  /** The partitions this member reads now, ascending. */
  get owned(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  /** The live members at the last beat. */
  get members(): readonly string[] {
    return this.#members;
  }

  /** True while this member may read `partition` (it holds a lease that cannot have expired). */
  holds(partition: number): boolean {
    const until = this.#owned.get(partition);
    return until !== undefined && until > Date.now();
  }

  /** Runs the first beat now and the next ones every `heartbeatMs`. */
  async start(): Promise<void> {
    await this.tick();
    this.#schedule();
  }

  /** One beat (also what the timer runs); beats never overlap. */
  tick(): Promise<void> {
    this.#beat = this.#beat.then(() => this.#tick());
    return this.#beat;
  }

  /** Stops every partition (draining it), releases the leases and leaves the membership. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#beat;
    await Promise.all(this.owned.map((p) => this.#giveUp(p)));
    await this.#bounded(this.#o.store.leave(), 'leave').catch(this.#o.onError);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.tick().finally(() => this.#schedule());
    }, this.#heartbeatMs);
    this.#timer.unref?.();
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    const { store, consumer, member, partitions, onError } = this.#o;
    const began = Date.now();
    // Leases that may run out before the next beat can renew them: stop reading, keep no claim.
    for (const [p, until] of this.#owned) {
      if (until - this.#heartbeatMs <= began) {
        this.#owned.delete(p);
        await consumer.stop(p).catch(onError);
      }
    }
    try {
      this.#members = await this.#bounded(store.heartbeat(), 'heartbeat');
    } catch (error) {
      onError(error);
      return;
    }
    const wanted = new Set(assignPartitions(this.#members.includes(member) ? this.#members : [...this.#members, member], partitions).get(member));
    const leaving = this.owned.filter((p) => !wanted.has(p));
    await Promise.all(leaving.map((p) => this.#giveUp(p)));
    for (const p of this.owned) {
      const renewedAt = Date.now();
      const kept = await this.#bounded(store.renew(p), 'renew').catch((error: unknown) => (onError(error), undefined));
      if (kept === true) this.#owned.set(p, renewedAt + this.#leaseMs);
      else if (kept === false) {
        this.#owned.delete(p); // somebody else holds it: never read it alongside them
        await consumer.stop(p).catch(onError);
      }
    }
    for (const p of wanted) {
      if (this.#owned.has(p) || this.#closed) continue;
      const askedAt = Date.now();
      const got = await this.#bounded(store.acquire(p), 'acquire').catch((error: unknown) => (onError(error), false));
      if (!got) continue;
      this.#owned.set(p, askedAt + this.#leaseMs);
      await consumer.start(p).catch(async (error: unknown) => {
        onError(error);
        this.#owned.delete(p);
        await store.release(p).catch(onError);
      });
    }
  }

  async #giveUp(p: number): Promise<void> {
    this.#owned.delete(p);
    await this.#o.consumer.stop(p).catch(this.#o.onError);
    await this.#bounded(this.#o.store.release(p), 'release').catch(this.#o.onError);
  }

  /** A broker call that hangs (a request lost with a connection) must not stop the beats: give up on it. */
  #bounded<T>(call: Promise<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      const ms = Math.max(this.#heartbeatMs * 2, this.#leaseMs / 2);
      timer = setTimeout(() => reject(new Error(`partition ${what} got no answer within ${ms} ms`)), ms);
    });
    call.catch(() => {}); // answered after all: nobody listens any more
    return Promise.race([call, late]).finally(() => clearTimeout(timer));
  }
}
