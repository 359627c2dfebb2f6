/**
 * Spreading partitions over the instances of a service that start together (`share`), and the
 * standbys taking over an owner's partitions when it goes away.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEnvelope, type Envelope } from '../../src/index.ts';
import { partitionOf, RabbitMqTransport } from '../../src/rabbitmq/index.ts';
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';
import { AMQP_URL, deleteTopology, eventually, uniqueExchange } from './helpers.ts';

holdBrokerForThisFile();

const exchange = uniqueExchange('share');
const PARTITIONS = 4;
const opened: RabbitMqTransport[] = [];
afterAll(async () => {
  await Promise.all(opened.map((t) => t.close().catch(() => {})));
  await deleteTopology(exchange, ['workers'], PARTITIONS);
});

function instance(index: number, seen: Map<string, number>) {
  const t = new RabbitMqTransport({
    url: AMQP_URL,
    exchange,
    service: 'workers',
    partitions: PARTITIONS,
    share: { index, of: 2, standbyDelayMs: 300 },
    onError: () => {},
  });
  t.subscribe('Job', (e: Envelope) => void seen.set(e.correlationId!, index));
  opened.push(t);
  return t;
}

describe('sharing partitions', () => {
  it('gives each instance its own share, and the standby the rest when an owner leaves', async () => {
    const seen = new Map<string, number>();
    const [a, b] = [instance(0, seen), instance(1, seen)];
    await Promise.all([a.start(), b.start()]);
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the standby delay: each is the other's standby
    // The same partition count as the consumers: a message routed to an unbound partition is dropped.
    const publisher = new RabbitMqTransport({ url: AMQP_URL, exchange, partitions: PARTITIONS, onError: () => {} });
    opened.push(publisher);
    await publisher.start();
    const ids = Array.from({ length: 40 }, (_, i) => `job-${i}`);
    for (const id of ids) await publisher.publish(createEnvelope('event', 'Job', {}, { correlationId: id }));
    await eventually('every job handled', () => seen.size === ids.length);
    for (const id of ids) expect(seen.get(id), id).toBe(partitionOf(id, PARTITIONS) % 2);

    await a.close(); // the owner of the even partitions goes away
    seen.clear();
    for (const id of ids) await publisher.publish(createEnvelope('event', 'Job', {}, { correlationId: id }));
    await eventually('every job handled again', () => seen.size === ids.length);
    expect(new Set(seen.values())).toEqual(new Set([1]));
  });

  it('refuses a share that names no instance', () => {
    expect(() => new RabbitMqTransport({ exchange, service: 'x', share: { index: 2, of: 2 } })).toThrow(RangeError);
    expect(() => new RabbitMqTransport({ exchange, service: 'x', share: { index: 0, of: 0 } })).toThrow(RangeError);
  });
});
