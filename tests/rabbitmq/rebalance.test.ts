/**
 * Partitions that follow the workers on the real RabbitMQ (`rebalance`; see tests/transports/rebalance.ts),
 * and the options it refuses.
 */
import { describe, expect, it } from 'vitest';
import { createEnvelope, type Envelope } from '../../src/index.ts';
import { lockQueue, partitionOf, RabbitMqTransport } from '../../src/rabbitmq/index.ts';
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';
import { runRebalanceScenario } from '../transports/rebalance.ts';
import { admin, AMQP_URL, deleteTopology, eventually, uniqueExchange } from './helpers.ts';

holdBrokerForThisFile();

const exchange = uniqueExchange('h19c-rebalance');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RabbitMqTransport partitions with rebalance', () => {
  runRebalanceScenario({
    partitions: 8,
    make: (consumer) =>
      new RabbitMqTransport({
        url: AMQP_URL,
        exchange,
        partitions: 8,
        onError: () => {},
        ...(consumer && { service: 'workers', rebalance: { heartbeatMs: 100, memberTtlMs: 1_000 } }),
      }),
    cleanup: () => deleteTopology(exchange, ['workers'], 8),
  });

  it('refuses rebalance together with share, and a member TTL that a late beat would outlive', () => {
    expect(() => new RabbitMqTransport({ exchange, service: 'x', rebalance: true, share: { index: 0, of: 2 } })).toThrow(RangeError);
    expect(() => new RabbitMqTransport({ exchange, service: 'x', rebalance: { heartbeatMs: 500, memberTtlMs: 1_000 } })).toThrow(RangeError);
    expect(() => new RabbitMqTransport({ exchange, service: 'x', rebalance: { heartbeatMs: 0 } })).toThrow(RangeError);
    expect(new RabbitMqTransport({ exchange, service: 'x' }).balance).toBeUndefined();
  });

  it('hands a partition over only after the old owner acknowledged the messages it had in hand', async () => {
    // Slow handlers (longer than b listens before it takes anything) and a backlog: when b joins, a is in
    // the middle of several messages of the partition it gives up, and still is when b is ready. Single-active-consumer alone would feed b the moment a cancels (RabbitMQ 3.10 does),
    // while a still handles those; `rebalance` makes b wait until a is done.
    await handOverUnderLoad({ heartbeatMs: 100, memberTtlMs: 1_000 }, { heartbeatMs: 100, memberTtlMs: 1_000 });
  }, 120_000);

  it('never lets two instances consume one partition while their views of the membership disagree', async () => {
    // a beats every 2 s, and b forgets a member after 300 ms: most of the time b believes it is alone and
    // wants every partition, while a, which hears b, keeps half. Only the partitions' locks keep b off
    // a's half, and off the half a hands over until a has finished it.
    await handOverUnderLoad({ heartbeatMs: 2_000, memberTtlMs: 10_000 }, { heartbeatMs: 100, memberTtlMs: 300 });
  }, 120_000);
});

type Tuning = { heartbeatMs: number; memberTtlMs: number };

/** What the broker answers a passive declare of `queue` from a connection of its own: 200, or the refusal's code. */
async function lockState(queue: string): Promise<number> {
  const { channel, close } = await admin();
  channel.on('error', () => {});
  try {
    await channel.checkQueue(queue);
    return 200;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  } finally {
    await close().catch(() => {});
  }
}

/** a owns both partitions and is in the middle of a backlog of slow jobs when b joins; nothing may overlap. */
async function handOverUnderLoad(aTuning: Tuning, bTuning: Tuning): Promise<void> {
  const handover = uniqueExchange('h19c-handover');
  const P = 2;
  const active = new Map<number, Map<string, number>>(); // partition → instance → messages in its handlers
  const overlaps: string[] = [];
  const handled = new Map<string, string[]>();
  const make = (name: string, rebalance: Tuning) => {
    const t = new RabbitMqTransport({ url: AMQP_URL, exchange: handover, service: 'slow', partitions: P, prefetch: 4, rebalance, onError: () => {} });
    t.subscribe('Job', async (e: Envelope) => {
      const p = partitionOf(e.correlationId!, P);
      const here = active.get(p) ?? new Map<string, number>();
      active.set(p, here);
      const others = [...here.entries()].filter(([n, c]) => n !== name && c > 0).map(([n]) => n);
      if (others.length > 0) overlaps.push(`partition ${p}: ${name} while ${others.join(', ')}`);
      here.set(name, (here.get(name) ?? 0) + 1);
      await sleep(1_200);
      here.set(name, here.get(name)! - 1);
      handled.set(e.messageId, [...(handled.get(e.messageId) ?? []), name]);
    });
    return t;
  };
  const a = make('a', aTuning);
  const b = make('b', bTuning);
  const publisher = new RabbitMqTransport({ url: AMQP_URL, exchange: handover, partitions: P, onError: () => {} });
  try {
    await a.start();
    await eventually('a to own both partitions', () => a.partitions.length === P, 20_000);
    await publisher.start();
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const e = createEnvelope('event', 'Job', { i }, { correlationId: `job-${i}` });
      await publisher.publish(e);
      ids.push(e.messageId);
    }
    await eventually('a to be in the middle of messages', () => [...active.values()].some((m) => (m.get('a') ?? 0) > 1), 20_000);
    await b.start();
    await eventually('a and b to own one partition each', () => a.partitions.length === 1 && b.partitions.length === 1, 20_000);
    await eventually('every job handled', () => ids.every((id) => handled.has(id)), 60_000);
    expect(overlaps).toEqual([]);
    expect([...handled.values()].filter((by) => by.length > 1)).toEqual([]);
    expect([...handled.values()].some((by) => by[0] === 'b')).toBe(true); // the hand-over happened under load
    expect(a.partitions.length + b.partitions.length).toBe(P); // still one each: b was refused a's half throughout
    // What each reports: it holds the lock of exactly what it consumes, and drains nothing any more.
    await eventually('both done draining', () => a.balance!.draining.length === 0 && b.balance!.draining.length === 0, 10_000);
    expect(a.balance!.locked).toEqual(a.partitions);
    expect(b.balance!.locked).toEqual(b.partitions);
    // The broker's side: each lock is an exclusive queue another connection cannot even look at (405),
    // and it is gone (404) once its holder closed.
    const names = { exchange: handover, service: 'slow', partitions: P };
    expect(await lockState(lockQueue(names, 0))).toBe(405);
    expect(await lockState(lockQueue(names, 1))).toBe(405);
    await Promise.all([a.close(), b.close()]);
    expect(await lockState(lockQueue(names, 0))).toBe(404);
    expect(await lockState(lockQueue(names, 1))).toBe(404);
  } finally {
    await Promise.all([a, b, publisher].map((t) => t.close()));
    await deleteTopology(handover, ['slow'], P);
  }
}
