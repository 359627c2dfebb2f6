/**
 * @module nats/names
 * The JetStream objects the transport uses:
 * - the stream `<stream>` (limits retention, `maxAgeMs`, file storage) takes every subject `<stream>.<partition>.<type>`;
 * - each consuming service has one durable pull consumer per partition, `<service>-p<n>`, filtered to
 *   `<stream>.<n>.>`, delivering what was published after it was created;
 * - `<stream>-dead` keeps dead letters under `<stream>-dead.<service>`;
 * - the key-value bucket `<stream>-bindings` records which types each service handles
 *   (`<service>.<type>`, `<service>._all`), and `<stream>-<service>-members` the service's members
 *   (`m.<member>`) and partition leases (`p.<n>`), expiring after `leaseMs` without renewal.
 */

export interface NatsNames {
  readonly stream: string;
  readonly service: string | undefined;
  readonly partitions: number;
}

export const subjectOf = (names: NatsNames, partition: number, type: string): string => `${names.stream}.${partition}.${type}`;
export const consumerName = (names: NatsNames, partition: number): string => `${requireService(names)}-p${partition}`;
export const deadStream = (names: NatsNames): string => `${names.stream}-dead`;
export const deadSubject = (names: NatsNames): string => `${deadStream(names)}.${requireService(names)}`;
export const bindingsBucket = (names: NatsNames): string => `${names.stream}-bindings`;
export const membersBucket = (names: NatsNames): string => `${names.stream}-${requireService(names)}-members`;
export const bindingKey = (names: NatsNames, type: string): string => `${requireService(names)}.${type === '*' ? '_all' : type}`;

/** Stream and service names become parts of subjects and bucket names. */
export function assertName(value: string, what: string): void {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(value)) throw new TypeError(`${what} '${value}' must be 1-100 letters, digits, '-' or '_'`);
}

/** A type becomes the last tokens of a subject: no wildcards, no empty tokens, no spaces. */
export function assertSubjectType(type: string): void {
  if (type === '*') return;
  if (!/^[A-Za-z0-9_\-:]+(\.[A-Za-z0-9_\-:]+)*$/.test(type) || type.length > 200) {
    throw new TypeError(`message type '${type}' cannot be a NATS subject: dot-separated tokens of letters, digits, '-', '_' or ':', without '*' or '>'`);
  }
}

function requireService(names: NatsNames): string {
  if (names.service === undefined) throw new TypeError('this transport has no `service`: it can publish but not consume');
  return names.service;
}
