/**
 * What is RabbitMQ's own in the transport (AMQP properties, routing keys, the broker's dead-lettering
 * headers), against the real broker of this machine. The behaviour every transport shares is the
 * contract suite: tests/rabbitmq/contract.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, type Envelope } from '../../src/index.ts';
import { deadLetterQueue, partitionOf, partitionQueue, RabbitMqTransport, type RabbitMqTransportOptions } from '../../src/rabbitmq/index.ts';
import { admin, AMQP_URL, deleteTopology, depth, eventually, uniqueExchange, type Admin } from './helpers.ts';
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';

// The cluster test restarts the broker: broker tests take turns.
holdBrokerForThisFile();

const exchange = uniqueExchange('transport');
const PARTITIONS = 4;
const services: string[] = [];
const open: RabbitMqTransport[] = [];
let inspect: Admin;

async function transport(service: string | undefined, options: Partial<RabbitMqTransportOptions> = {}): Promise<RabbitMqTransport> {
  if (service !== undefined && !services.includes(service)) services.push(service);
  const t = new RabbitMqTransport({
    url: AMQP_URL,
    exchange,
    partitions: PARTITIONS,
    redelivery: { initialDelayMs: 10, maxDelayMs: 20 },
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    onError: () => {},
    ...(service !== undefined && { service }),
    ...options,
  });
  open.push(t);
  await t.start();
  return t;
}

function envelope(type: string, correlationId: string, payload: unknown = { n: 1 }): Envelope {
  return createEnvelope('event', type, payload, { correlationId });
}

beforeAll(async () => {
  inspect = await admin();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  await inspect?.close();
  await deleteTopology(exchange, services, PARTITIONS);
});

describe('RabbitMqTransport', () => {
  it('delivers a published envelope unchanged, with its identity as AMQP properties, once the broker confirmed it', async () => {
    const t = await transport('roundtrip');
    const got: Envelope[] = [];
    t.subscribe('Ping', (e) => void got.push(e));
    await t.ready();
    const sent = envelope('Ping', 'c-1', { hello: 'world', at: 3 });
    await t.publish(sent);
    await eventually('the delivery', () => got.length === 1);
    expect(got[0]).toEqual(sent);

    // The properties, read by a plain consumer of a queue bound next to the transport's.
    const { queue } = await inspect.channel.assertQueue('', { exclusive: true });
    await inspect.channel.bindQueue(queue, exchange, '#.Ping');
    const second = envelope('Ping', 'c-2');
    await t.publish(second);
    await eventually('the copy', async () => (await depth(inspect.channel, queue)) === 1);
    const raw = await inspect.channel.get(queue, { noAck: true });
    expect(raw && raw.properties).toMatchObject({
      messageId: second.messageId,
      correlationId: 'c-2',
      type: 'Ping',
      contentType: 'application/json',
      deliveryMode: 2,
    });
    expect(raw && raw.fields.routingKey).toBe(`${partitionOf('c-2', PARTITIONS)}.Ping`);
  });

  it('moves a message that keeps failing to the dead-letter queue after maxDeliveries', async () => {
    const t = await transport('poison', { maxDeliveries: 3 });
    let calls = 0;
    t.subscribe('Poison', () => {
      calls++;
      throw new Error('always');
    });
    await t.ready();
    const sent = envelope('Poison', 'c-9');
    await t.publish(sent);
    const dead = deadLetterQueue({ exchange, service: 'poison', partitions: PARTITIONS });
    await eventually('the dead letter', async () => (await depth(inspect.channel, dead)) === 1);
    expect(calls).toBe(3);
    const letter = await inspect.channel.get(dead, { noAck: true });
    expect(letter && JSON.parse(letter.content.toString())).toEqual(sent);
    expect(letter && letter.properties.headers?.['x-first-death-queue']).toBe(partitionQueue({ exchange, service: 'poison', partitions: PARTITIONS }, partitionOf('c-9', PARTITIONS)));
  });

  it('refuses to subscribe without a service, and to bind a type with topic wildcards', async () => {
    const publisher = new RabbitMqTransport({ exchange });
    expect(() => publisher.subscribe('Ping', () => {})).toThrow(/service/);
    const consumer = new RabbitMqTransport({ exchange, service: 'x' });
    expect(() => consumer.subscribe('Order.*', () => {})).toThrow(TypeError);
    await Promise.all([publisher.close(), consumer.close()]);
  });
});
