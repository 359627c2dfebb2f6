/**
 * The transport against the real RabbitMQ on this machine (AMQP_URL, default guest@127.0.0.1:5672).
 * Without a broker these tests fail: `start()` rejects in `beforeAll`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, TransportError, type Envelope } from '../../src/index.ts';
import { deadLetterQueue, partitionOf, partitionQueue, RabbitMqTransport, type RabbitMqTransportOptions } from '../../src/rabbitmq/index.ts';
import { admin, AMQP_URL, deleteTopology, depth, eventually, killConnections, uniqueExchange, type Admin } from './helpers.ts';
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

  it('routes every message of one correlation id to the same partition queue', async () => {
    const t = await transport('partitions');
    const off = t.subscribe('Routed', () => {});
    await t.ready();
    off(); // bound, and no longer consumed: the messages stay where the exchange put them
    await t.ready();
    const ids = ['order-1', 'order-2', 'order-3', 'order-4', 'order-5', 'order-6'];
    for (const id of ids) for (let i = 0; i < 3; i++) await t.publish(envelope('Routed', id));
    const names = { exchange, service: 'partitions', partitions: PARTITIONS };
    const expected = new Array<number>(PARTITIONS).fill(0);
    for (const id of ids) expected[partitionOf(id, PARTITIONS)]! += 3;
    const actual: number[] = [];
    for (let p = 0; p < PARTITIONS; p++) actual.push(await depth(inspect.channel, partitionQueue(names, p)));
    expect(actual).toEqual(expected);
    await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => inspect.channel.purgeQueue(partitionQueue(names, p))));
  });

  it('redelivers a message whose handler failed, and acknowledges it once the handler succeeds', async () => {
    const t = await transport('flaky');
    let calls = 0;
    t.subscribe('Flaky', () => {
      calls++;
      if (calls < 3) throw new Error('the database is down');
    });
    await t.ready();
    await t.publish(envelope('Flaky', 'c-1'));
    await eventually('three deliveries', () => calls === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(3);
    expect(await depth(inspect.channel, deadLetterQueue({ exchange, service: 'flaky', partitions: PARTITIONS }))).toBe(0);
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

  it('rejects a message whose body is not JSON to the dead-letter queue', async () => {
    const t = await transport('garbage');
    let calls = 0;
    t.subscribe('Garbage', () => void calls++);
    await t.ready();
    inspect.channel.publish(exchange, '0.Garbage', Buffer.from('{not json'), { type: 'Garbage' });
    const dead = deadLetterQueue({ exchange, service: 'garbage', partitions: PARTITIONS });
    await eventually('the dead letter', async () => (await depth(inspect.channel, dead)) === 1);
    expect(calls).toBe(0);
  });

  it('stops consuming once nothing is subscribed, and consumes again on the next subscription', async () => {
    const t = await transport('onoff');
    const got: string[] = [];
    const off = t.subscribe('OnOff', (e) => void got.push(e.messageId));
    await t.ready();
    off();
    await t.ready();
    const waiting = envelope('OnOff', 'c-1');
    await t.publish(waiting);
    const queue = partitionQueue({ exchange, service: 'onoff', partitions: PARTITIONS }, partitionOf('c-1', PARTITIONS));
    await eventually('the message to wait in its queue', async () => (await depth(inspect.channel, queue)) === 1);
    expect(got).toEqual([]);
    t.subscribe('OnOff', (e) => void got.push(e.messageId));
    await eventually('the delivery', () => got.length === 1);
    expect(got).toEqual([waiting.messageId]);
  });

  it('close() waits for the handler in flight, acknowledges its message and consumes nothing more', async () => {
    const t = await transport('closing');
    let finished = 0;
    let started = 0;
    t.subscribe('Slow', async () => {
      started++;
      await new Promise((r) => setTimeout(r, 300));
      finished++;
    });
    await t.ready();
    await t.publish(envelope('Slow', 'c-1'));
    await eventually('the handler to start', () => started === 1);
    await t.close();
    expect(finished).toBe(1);
    const other = await transport(undefined);
    await other.publish(envelope('Slow', 'c-1'));
    const queue = partitionQueue({ exchange, service: 'closing', partitions: PARTITIONS }, partitionOf('c-1', PARTITIONS));
    await eventually('the next message to wait', async () => (await depth(inspect.channel, queue)) === 1);
    expect(started).toBe(1);
    await expect(t.publish(envelope('Slow', 'c-2'))).rejects.toBeInstanceOf(TransportError);
    await inspect.channel.purgeQueue(queue);
  });

  it('reconnects after the broker closed its connection, declares again and resumes consuming', async () => {
    const name = `${exchange}-reconnect`;
    const t = await transport('reconnect', { connectionName: name });
    const got: string[] = [];
    t.subscribe('Again', (e) => void got.push(e.messageId));
    await t.ready();
    await t.publish(envelope('Again', 'c-1'));
    await eventually('the first delivery', () => got.length === 1);

    expect(await killConnections(name)).toBe(1);
    await eventually('the loss to be noticed', () => !t.connected, 5_000);
    // Published during the outage: waits for the connection instead of failing.
    await t.publish(envelope('Again', 'c-2'));
    await eventually('the delivery after reconnecting', () => got.length === 2);
    expect(t.connected).toBe(true);
  });

  it('a publish rejects with TransportError when the broker does not come back in time', async () => {
    const t = new RabbitMqTransport({ url: 'amqp://guest:guest@127.0.0.1:1', exchange, connectTimeoutMs: 300, onError: () => {} });
    const error = await t.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('SAGA_TRANSPORT_UNAVAILABLE');
    await expect(t.publish(envelope('Nowhere', 'c-1'))).rejects.toBeInstanceOf(TransportError);
  });

  it('refuses to subscribe without a service, and to bind a type with topic wildcards', async () => {
    const publisher = new RabbitMqTransport({ exchange });
    expect(() => publisher.subscribe('Ping', () => {})).toThrow(/service/);
    const consumer = new RabbitMqTransport({ exchange, service: 'x' });
    expect(() => consumer.subscribe('Order.*', () => {})).toThrow(TypeError);
    await Promise.all([publisher.close(), consumer.close()]);
  });
});
