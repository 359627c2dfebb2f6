/**
 * @module redis/keys
 * The Redis keys the transport uses, all under one hash tag `{<prefix>}` so that they live in one slot
 * (the publish script touches several of them at once):
 * - `{p}:bind:<type>` (set): the services that handle `type` (`*`: every type), as RabbitMQ bindings;
 * - `{p}:<service>:p<n>` (stream): partition `n` of a service, read by the consumer group `sagaflow`;
 * - `{p}:<service>:dead` (stream): messages that failed `maxDeliveries` times or could not be read;
 * - `{p}:<service>:members` (sorted set): live instances of a service, scored by their last heartbeat;
 * - `{p}:<service>:owner:<n>` (string with a TTL): the instance holding partition `n`'s lease.
 */

export interface RedisNames {
  readonly prefix: string;
  /** `undefined` for a transport that only publishes. */
  readonly service: string | undefined;
  readonly partitions: number;
}

/** The consumer group on every partition stream (one stream per service, so one group is enough). */
export const GROUP = 'sagaflow';

const tag = (names: RedisNames) => `{${names.prefix}}`;

export function bindingKey(names: RedisNames, type: string): string {
  return `${tag(names)}:bind:${type}`;
}

export function partitionStream(names: RedisNames, partition: number): string {
  return `${tag(names)}:${requireService(names)}:p${partition}`;
}

export function deadLetterStream(names: RedisNames): string {
  return `${tag(names)}:${requireService(names)}:dead`;
}

export function membersKey(names: RedisNames): string {
  return `${tag(names)}:${requireService(names)}:members`;
}

export function ownerKey(names: RedisNames, partition: number): string {
  return `${tag(names)}:${requireService(names)}:owner:${partition}`;
}

/** Types and services become parts of key names: refuse what would make them ambiguous. */
export function assertKeyPart(value: string, what: string): void {
  if (value.length === 0 || value.length > 200 || /[\s{}:]/.test(value)) {
    throw new TypeError(`${what} '${value}' cannot be used in a Redis key: 1-200 characters, without spaces, '{', '}' or ':'`);
  }
}

function requireService(names: RedisNames): string {
  if (names.service === undefined) throw new TypeError('this transport has no `service`: it can publish but not consume');
  return names.service;
}
