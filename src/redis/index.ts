/**
 * @module sagaflow/redis
 * The Redis Streams transport, behind its own subpath so the core never loads ioredis.
 *
 * @example
 * import { RedisTransport } from 'sagaflow/redis';
 * const transport = new RedisTransport({ url: 'redis://127.0.0.1:6379', service: 'orders' });
 */
export { RedisTransport, type RedisTransportOptions } from './redis-transport.ts';
export type { RedeliveryOptions } from './partition-reader.ts';
export { bindingKey, deadLetterStream, GROUP, membersKey, ownerKey, partitionStream, type RedisNames } from './keys.ts';
export { assignPartitions, partitionsOf } from '../partitioning/assignment.ts';
export { fnv1a32, partitionKey, partitionOf } from '../partitioning/partition.ts';
