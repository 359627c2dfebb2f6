/**
 * @module rabbitmq/partition-locks
 * Which instance may consume a partition, decided by the broker itself: an exclusive queue
 * `<exchange>.<service>.lock.<partition>` per partition. RabbitMQ lets one connection at a time hold an
 * exclusive queue (another connection's declare fails with 405 RESOURCE_LOCKED) and deletes it when that
 * connection closes. So the lock is a lease whose expiry is the connection's: a process that dies, or is
 * cut off for longer than the connection's heartbeat timeout, loses its partitions and its unacknowledged
 * messages in the same moment, and a live holder releases one only after it finished what it had in hand.
 *
 * The membership's heartbeats decide who *should* hold what; these locks make sure that two instances
 * whose views disagree for a moment still never consume one partition at once.
 *
 * A failed declare closes the channel it ran on, so the locks use a channel of their own, opened again
 * after each refusal; it never takes the connection down.
 */
import type { Channel } from 'amqplib';
import type { Link } from './broker-connection.ts';
import type { TopologyNames } from './topology.ts';

/** The queue whose holder consumes `partition`: `<exchange>.<service>.lock.<partition>` (exclusive, holds no messages). */
export function lockQueue(names: TopologyNames, partition: number): string {
  return `${names.exchange}.${names.service ?? ''}.lock.${partition}`;
}

/** AMQP's reply code when another connection holds an exclusive queue. */
const RESOURCE_LOCKED = 405;

export class PartitionLocks {
  #channel: { readonly link: Link; readonly channel: Promise<Channel> } | undefined;
  /** Partitions held, with the connection they are held on (a lock dies with its connection). */
  readonly #held = new Map<number, Link>();

  constructor(readonly names: TopologyNames) {}

  /** Whether this instance holds `partition`'s lock on `link`. */
  holds(link: Link, partition: number): boolean {
    return this.#held.get(partition) === link;
  }

  /**
   * Takes `partition`'s lock on `link`: true if this connection holds it now, false if another one does.
   * Anything else (the connection going) rejects.
   */
  async acquire(link: Link, partition: number): Promise<boolean> {
    if (this.holds(link, partition)) return true;
    const channel = await this.#channelOn(link);
    try {
      // Nothing is ever routed here: `x-max-length: 0` keeps a stray publish to the default exchange out.
      await channel.assertQueue(lockQueue(this.names, partition), { exclusive: true, durable: false, autoDelete: false, arguments: { 'x-max-length': 0 } });
    } catch (error) {
      this.#channel = undefined; // the broker closed the channel with the refusal
      if (code(error) === RESOURCE_LOCKED) return false;
      throw error;
    }
    this.#held.set(partition, link);
    return true;
  }

  /** Gives `partition` up, if held on `link` (on an older connection it went with that connection). */
  async release(link: Link, partition: number): Promise<void> {
    if (!this.holds(link, partition)) return;
    this.#held.delete(partition);
    const channel = await this.#channelOn(link);
    try {
      await channel.deleteQueue(lockQueue(this.names, partition));
    } catch (error) {
      this.#channel = undefined;
      throw error;
    }
  }

  /** The partitions whose locks are held on `link`, ascending. */
  heldOn(link: Link): number[] {
    return [...this.#held].filter(([, on]) => on === link).map(([p]) => p).sort((a, b) => a - b);
  }

  #channelOn(link: Link): Promise<Channel> {
    if (this.#channel?.link === link) return this.#channel.channel;
    for (const [p, on] of this.#held) if (on !== link) this.#held.delete(p); // went with their connection
    const channel = link.model.createChannel().then((c) => {
      c.on('error', () => {}); // a refusal: `acquire` reads it from the call it failed
      c.on('close', () => {
        if (this.#channel?.channel === channel) this.#channel = undefined;
      });
      return c;
    });
    this.#channel = { link, channel };
    channel.catch(() => {
      if (this.#channel?.channel === channel) this.#channel = undefined;
    });
    return channel;
  }
}

function code(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}
