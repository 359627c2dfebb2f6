/**
 * @module rabbitmq/topology
 * The broker objects the transport declares, and their names. One durable topic exchange carries every
 * message with the routing key `<partition>.<type>`. Each consuming service owns `partitions` durable
 * quorum queues, bound for the types it handles (`3.OrderCreated`) or for all of them (`3.#`); each is a
 * single-active-consumer queue, so of all the instances of a service one consumes a partition at a
 * time and another takes over when it dies. A message that fails more than the delivery limit allows is
 * dead-lettered by the broker to the service's dead-letter exchange and queue.
 *
 * Declarations are idempotent, so every process declares everything it uses at every (re)connect. A
 * queue that exists with other arguments (another partition count, another delivery limit) makes the
 * broker close the channel with PRECONDITION_FAILED: delete it, or keep the options the same everywhere.
 */
import type { Channel } from 'amqplib';

export interface TopologyNames {
  readonly exchange: string;
  /** `undefined` for a transport that only publishes. */
  readonly service: string | undefined;
  readonly partitions: number;
}

/** Where one partition's messages wait: `<exchange>.<service>.p<partition>`. */
export function partitionQueue(names: TopologyNames, partition: number): string {
  return `${names.exchange}.${requireService(names)}.p${partition}`;
}

/** The service's dead-letter exchange (fanout): `<exchange>.<service>.dlx`. */
export function deadLetterExchange(names: TopologyNames): string {
  return `${names.exchange}.${requireService(names)}.dlx`;
}

/** Where the service's dead-lettered messages are kept: `<exchange>.<service>.dead`. */
export function deadLetterQueue(names: TopologyNames): string {
  return `${names.exchange}.${requireService(names)}.dead`;
}

/** The routing key of a message of `type` in `partition`; `'*'` binds every type. */
export function routingKey(partition: number, type: string): string {
  return `${partition}.${type === '*' ? '#' : type}`;
}

/** Topic wildcards inside a type would bind more than that type. */
export function assertRoutableType(type: string): void {
  if (type === '*') return;
  if (type.length === 0 || /[*#]/.test(type)) throw new TypeError(`message type '${type}' cannot be routed: it must be non-empty, without '*' or '#'`);
}

/** The exchange every process publishes to. */
export async function declareExchange(channel: Channel, names: TopologyNames): Promise<void> {
  await channel.assertExchange(names.exchange, 'topic', { durable: true });
}

/**
 * The service's partition queues and its dead-letter pair. `maxDeliveries` counts every delivery: with
 * 5, a message is handled at most five times, then dead-lettered (quorum queues count returns, so the
 * broker's `x-delivery-limit` is one less).
 */
export async function declareServiceQueues(channel: Channel, names: TopologyNames, maxDeliveries: number): Promise<void> {
  const dlx = deadLetterExchange(names);
  await channel.assertExchange(dlx, 'fanout', { durable: true });
  await channel.assertQueue(deadLetterQueue(names), { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(deadLetterQueue(names), dlx, '');
  for (let p = 0; p < names.partitions; p++) {
    await channel.assertQueue(partitionQueue(names, p), {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-single-active-consumer': true,
        'x-delivery-limit': maxDeliveries - 1,
        'x-dead-letter-exchange': dlx,
      },
    });
  }
}

/** Routes `type` (or every type, `'*'`) to each of the service's partition queues. */
export async function bindType(channel: Channel, names: TopologyNames, type: string): Promise<void> {
  for (let p = 0; p < names.partitions; p++) await channel.bindQueue(partitionQueue(names, p), names.exchange, routingKey(p, type));
}

function requireService(names: TopologyNames): string {
  if (names.service === undefined) throw new TypeError('this transport has no `service`: it can publish but not consume');
  return names.service;
}
