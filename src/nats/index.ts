/**
 * @module sagaflow/nats
 * The NATS JetStream transport, behind its own subpath so the core never loads the NATS client.
 *
 * @example
 * import { NatsTransport } from 'sagaflow/nats';
 * const transport = new NatsTransport({ url: 'nats://127.0.0.1:4222', service: 'orders' });
 */
export { NatsTransport, type NatsTransportOptions } from './nats-transport.ts';
export type { RedeliveryOptions } from './partition-puller.ts';
export { bindingsBucket, consumerName, deadStream, deadSubject, membersBucket, subjectOf, type NatsNames } from './names.ts';
export { assignPartitions, partitionsOf } from '../partitioning/assignment.ts';
export { fnv1a32, partitionKey, partitionOf } from '../partitioning/partition.ts';
