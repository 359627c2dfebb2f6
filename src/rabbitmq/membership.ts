/**
 * @module rabbitmq/membership
 * Who else consumes the service, and which partitions each of them holds, learned through RabbitMQ
 * itself: a fanout exchange `<exchange>.<service>.members` to which every member binds an exclusive,
 * auto-deleted queue of its own and publishes a heartbeat every `heartbeatMs`:
 * `{ member, holds: [partitions it consumes or still drains], leaving? }`. A member not heard from for
 * `memberTtlMs` is gone (its queue went with its connection; the heartbeats carry the TTL as their
 * expiration, so none wait around). A member that leaves says so, and the others rebalance at once.
 *
 * The state here is pure bookkeeping (`heard`, `view`); declaring and publishing take a channel.
 */
import type { Channel, ConfirmChannel } from 'amqplib';
import type { TopologyNames } from './topology.ts';

/** What one heartbeat says. */
export interface Heartbeat {
  readonly member: string;
  /** Partitions the member consumes, or stopped consuming but still has messages of in flight. */
  readonly holds: readonly number[];
  /** True on the last beat of a member that stops consuming. */
  readonly leaving?: boolean;
}

/** The live members (this one included) and the partitions held by each of the others. */
export interface MembershipView {
  readonly members: readonly string[];
  readonly heldByOthers: ReadonlyMap<number, string>;
}

/** The fanout exchange the service's members beat on: `<exchange>.<service>.members`. */
export function membersExchange(names: TopologyNames): string {
  return `${names.exchange}.${names.service ?? ''}.members`;
}

/** Where one member hears the beats: `<exchange>.<service>.member.<member>` (exclusive, auto-deleted). */
export function memberQueue(names: TopologyNames, member: string): string {
  return `${names.exchange}.${names.service ?? ''}.member.${member}`;
}

const MAX_MEMBER_NAME = 200;

export class Membership {
  readonly #seen = new Map<string, { readonly at: number; readonly holds: readonly number[] }>();

  constructor(
    readonly names: TopologyNames,
    readonly member: string,
    readonly memberTtlMs: number,
  ) {}

  /** Declares the exchange and this member's queue and starts hearing the beats (no acks: a beat lost is replaced by the next). */
  async declare(channel: Channel, cancelled: () => void): Promise<void> {
    const exchange = membersExchange(this.names);
    const queue = memberQueue(this.names, this.member);
    await channel.assertExchange(exchange, 'fanout', { durable: true });
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false, arguments: { 'x-message-ttl': this.memberTtlMs } });
    await channel.bindQueue(queue, exchange, '');
    await channel.consume(queue, (message) => (message === null ? cancelled() : this.heard(message.content.toString('utf8'))), { noAck: true });
  }

  /** Publishes this member's beat; a beat that does not make it is replaced by the next one. */
  beat(channel: ConfirmChannel, holds: readonly number[], leaving: boolean, onError: (error: unknown) => void): void {
    const beat: Heartbeat = { member: this.member, holds, ...(leaving && { leaving }) };
    try {
      channel.publish(membersExchange(this.names), '', Buffer.from(JSON.stringify(beat)), { expiration: String(this.memberTtlMs), contentType: 'application/json' }, (error: unknown) => {
        if (error) onError(error);
      });
    } catch (error) {
      onError(error); // the channel closed under us: the reconnect beats again
    }
  }

  /** Records a beat (ignoring anything that is not one: other members are trusted, their bugs are not). */
  heard(text: string, now = Date.now()): void {
    let beat: Partial<Heartbeat>;
    try {
      beat = JSON.parse(text) as Partial<Heartbeat>;
    } catch {
      return;
    }
    const { member, holds, leaving } = beat;
    if (typeof member !== 'string' || member.length === 0 || member.length > MAX_MEMBER_NAME || member === this.member) return;
    if (leaving === true) {
      this.#seen.delete(member);
      return;
    }
    const valid = Array.isArray(holds) ? holds.filter((p): p is number => Number.isInteger(p) && p >= 0 && p < this.names.partitions) : [];
    this.#seen.set(member, { at: now, holds: valid });
  }

  /** The members heard from within the TTL (and this one), and what the others hold. */
  view(now = Date.now()): MembershipView {
    const members = [this.member];
    const heldByOthers = new Map<number, string>();
    for (const [member, { at, holds }] of this.#seen) {
      if (now - at > this.memberTtlMs) {
        this.#seen.delete(member);
        continue;
      }
      members.push(member);
      for (const p of holds) heldByOthers.set(p, member);
    }
    return { members, heldByOthers };
  }
}
