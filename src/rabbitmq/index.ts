/**
 * @module sagaflow/rabbitmq
 * The RabbitMQ transport, behind its own subpath so the core never loads amqplib.
 *
 * @example
 * import { RabbitMqTransport } from 'sagaflow/rabbitmq';
 * const transport = new RabbitMqTransport({ url: 'amqp://guest:guest@127.0.0.1:5672', service: 'orders' });
 */
export { RabbitMqTransport, type RabbitMqTransportOptions } from './rabbitmq-transport.ts';
export type { BackoffOptions } from './broker-connection.ts';
export { redeliveryDelay, type RedeliveryOptions } from './delivery.ts';
export { fnv1a32, partitionKey, partitionOf } from '../partitioning/partition.ts';
export { deadLetterExchange, deadLetterQueue, partitionQueue, routingKey, type TopologyNames } from './topology.ts';
export { memberQueue, membersExchange } from './membership.ts';
export { lockQueue } from './partition-locks.ts';
export type { BalanceState } from './rebalancer.ts';
