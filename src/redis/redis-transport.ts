/**
 * @module redis/redis-transport
 * A `MessageBus` over Redis Streams. `publish` appends the envelope, in one server-side script, to its
 * partition stream (a hash of the correlation id) of every service bound to its type, and resolves once
 * Redis has it. `subscribe` binds the type for the service and consumes through the consumer group
 * `sagaflow`, acknowledging (and deleting) each entry after its handlers succeeded.
 *
 * The instances of a service share its partitions through `PartitionCoordinator`: heartbeats and
 * leases in Redis, an even spread over the live instances, and a hand-over that drains a partition
 * before its lease is released. A partition taken over from an instance that died is first cleared of
 * the entries that instance left pending (`XAUTOCLAIM`); a message that keeps failing is retried with
 * backoff until `maxDeliveries`, then moved to the service's dead-letter stream.
 *
 * Redis keeps nothing across a restart unless it persists: run it with `appendonly yes` (see
 * docs/transports/redis.md). The connections come back by themselves (ioredis reconnects with backoff).
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { MessageBus, MessageHandler } from '../bus/message-bus.ts';
import { TransportError } from '../errors/transport-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import { PartitionCoordinator } from '../partitioning/coordinator.ts';
import { addHandler, memberName } from '../partitioning/handlers.ts';
import { partitionKey, partitionOf } from '../partitioning/partition.ts';
import { settledChain } from '../partitioning/settled.ts';
import { importPeer } from '../peers/optional-peers.ts';
import { assertKeyPart, bindingKey, GROUP, partitionStream, type RedisNames } from './keys.ts';
import { RedisLeaseStore } from './lease-store.ts';
import { RedisPartitionReader, type RedeliveryOptions } from './partition-reader.ts';
import { PUBLISH } from './scripts.ts';

export interface RedisTransportOptions {
  /** Default `redis://127.0.0.1:6379`. */
  readonly url?: string;
  /** Starts every key (as a hash tag, `{sagaflow}:…`): the "exchange" all processes of a system share. Default `sagaflow`. */
  readonly prefix?: string;
  /** The consuming service this process is an instance of; without it the transport only publishes. */
  readonly service?: string;
  /** Partition streams per service. Default 8. Must be the same in every process sharing the prefix. */
  readonly partitions?: number;
  /** Messages per partition this process handles at once. Default 16. */
  readonly prefetch?: number;
  /** Deliveries of a failing message before it is moved to the dead-letter stream. Default 5. */
  readonly maxDeliveries?: number;
  readonly redelivery?: RedeliveryOptions;
  /** How often an instance says it is alive and rebalances. Default 1 s. */
  readonly heartbeatMs?: number;
  /** How long a partition lease lasts without renewal: the longest a dead instance's partitions wait. Default 5 s. */
  readonly leaseMs?: number;
  /** How long a publish waits for a lost connection to come back. Default 10 s. */
  readonly publishTimeoutMs?: number;
  /** How long `start()` tries to connect. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** The client name in `CLIENT LIST`, and the start of this instance's member name. */
  readonly connectionName?: string;
  readonly onError?: (error: unknown) => void;
}

/**
 * @example
 * const transport = new RedisTransport({ url: process.env.REDIS_URL, service: 'orders' });
 * const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository, bus: transport });
 * await transport.start();
 * await orchestrator.start();
 */
export class RedisTransport implements MessageBus {
  readonly messagingSystem = 'redis';
  readonly names: RedisNames;
  /** This instance's name among the service's members (and its consumer name in the group). */
  readonly member: string;
  readonly #options: RedisTransportOptions;
  readonly #onError: (error: unknown) => void;
  readonly #handlers = new Map<string, Set<MessageHandler>>();
  readonly #bound = new Set<string>();
  readonly #publishing = new Set<Promise<unknown>>();
  #redis: Redis | undefined;
  #reader: RedisPartitionReader | undefined;
  #coordinator: PartitionCoordinator | undefined;
  #sync: Promise<void> = Promise.resolve();
  #closing = false;

  constructor(options: RedisTransportOptions = {}) {
    this.#options = options;
    this.names = { prefix: options.prefix ?? 'sagaflow', service: options.service, partitions: options.partitions ?? 8 };
    partitionOf('', this.names.partitions);
    assertKeyPart(this.names.prefix, 'prefix');
    if (options.service !== undefined) assertKeyPart(options.service, 'service');
    for (const [name, value] of [['prefetch', options.prefetch], ['maxDeliveries', options.maxDeliveries]] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new RangeError(`RedisTransport option ${name} must be a positive integer, got ${value}`);
    }
    this.member = memberName(options.connectionName);
    this.#onError = options.onError ?? ((error) => console.error('[sagaflow] redis:', error));
  }

  /** Connects (two connections: commands, and blocking reads); rejects with `TransportError` if Redis stays unreachable. */
  async start(): Promise<void> {
    if (this.#closing) throw new TransportError('closed', 'the transport is closed');
    const { Redis: Client } = await importPeer('ioredis', 'redis', () => import('ioredis'));
    const options: RedisOptions = {
      // Commands fail at once while disconnected: acks are recovered, publishes wait for `ready` themselves.
      protocol: 2, // the reply shapes below are RESP2's (RESP3 flattens XREADGROUP's map)
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.random() * Math.min(2_000, 50 * 2 ** Math.min(times, 10)),
      ...(this.#options.connectionName !== undefined && { connectionName: this.#options.connectionName }),
    };
    const url = this.#options.url ?? 'redis://127.0.0.1:6379';
    const redis = (this.#redis = new Client(url, options));
    // Blocking reads get a connection of their own; a transport that only publishes needs none.
    const blocking = this.names.service === undefined ? undefined : new Client(url, options);
    const clients = blocking === undefined ? [redis] : [redis, blocking];
    let lastError: unknown;
    for (const client of clients) client.on('error', (error: unknown) => (lastError = error));
    const timeout = this.#options.connectTimeoutMs ?? 10_000;
    try {
      await Promise.all(clients.map((client) => whenReady(client, timeout)));
    } catch (error) {
      this.#closing = true;
      for (const client of clients) client.disconnect();
      throw new TransportError('closed', `could not connect to Redis within ${timeout} ms: ${describe(lastError ?? error)}`, lastError ?? error);
    }
    let connected = true;
    redis.on('close', () => {
      if (connected && !this.#closing) this.#onError(new TransportError('disconnected', `lost the connection to Redis, reconnecting: ${describe(lastError)}`, lastError));
      connected = false;
    });
    redis.on('ready', () => {
      connected = true;
      // Redis may have restarted: declare again (idempotent), and look for entries whose ack was lost.
      this.#bound.clear();
      this.#reader?.recoverAll();
      this.#resync();
    });
    if (blocking === undefined) return;
    this.#reader = new RedisPartitionReader({
      redis,
      blocking,
      names: this.names,
      member: this.member,
      prefetch: this.#options.prefetch ?? 16,
      maxDeliveries: this.#options.maxDeliveries ?? 5,
      redelivery: this.#options.redelivery ?? {},
      handlers: this.#handlers,
      holds: (p) => this.#coordinator?.holds(p) === true,
      owned: () => this.#coordinator?.owned ?? [],
      onMissingGroups: () => {
        this.#bound.clear();
        this.#resync();
      },
      onError: this.#onError,
    });
    this.#resync();
    await this.ready();
  }

  /** True while the command connection is up. */
  get connected(): boolean {
    return this.#redis?.status === 'ready';
  }

  /** The partitions this instance reads now. */
  get partitions(): number[] {
    return this.#coordinator?.owned ?? [];
  }

  /** Resolves once the bindings and the partition coordinator for every subscription so far are in place. */
  ready(): Promise<void> {
    return settledChain(() => this.#sync);
  }

  /** Appends to the bound services' partition streams; rejects with `TransportError` if Redis does not take it. */
  async publish(envelope: Envelope): Promise<void> {
    const redis = this.#redis;
    if (this.#closing || redis === undefined) throw new TransportError('closed', 'the transport is closed (or not started)');
    const timeout = this.#options.publishTimeoutMs ?? 10_000;
    await whenReady(redis, timeout).catch((error: unknown) => {
      throw new TransportError('disconnected', `no connection to Redis for ${timeout} ms; it is being retried`, error);
    });
    const tag = `{${this.names.prefix}}`;
    const partition = partitionOf(partitionKey(envelope), this.names.partitions);
    const sent = redis
      .eval(PUBLISH, 2, bindingKey(this.names, envelope.type), bindingKey(this.names, '*'), tag, partition, envelope.type, envelope.messageId, JSON.stringify(envelope))
      .then(
        () => undefined,
        (error: unknown) => {
          throw new TransportError('unconfirmed', `'${envelope.type}' ${envelope.messageId} was not confirmed by Redis; publish it again`, error);
        },
      );
    const tracked = sent.catch(() => {}).finally(() => this.#publishing.delete(tracked));
    this.#publishing.add(tracked);
    return sent;
  }

  /** Handles `type` (or `'*'`) here; the binding stays after unsubscribing, as other instances may handle it. */
  subscribe(type: string, handler: MessageHandler): () => void {
    if (this.names.service === undefined) throw new TypeError('RedisTransport: set the `service` option to subscribe');
    if (this.#closing) throw new TransportError('closed', 'the transport is closed');
    if (type !== '*') assertKeyPart(type, 'message type');
    return addHandler(this.#handlers, type, handler, () => this.#resync());
  }

  /** Hands its partitions over (each drained first), waits for publishes, disconnects. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.ready().catch(() => {});
    const coordinator = this.#coordinator;
    this.#coordinator = undefined;
    this.#reader?.closing();
    await coordinator?.close();
    await this.#reader?.close();
    await Promise.allSettled([...this.#publishing]);
    await this.#reader?.quit();
    await this.#redis?.quit().catch(() => this.#redis?.disconnect());
  }

  #resync(): void {
    this.#sync = this.#sync.then(() => this.#reconcile().catch((error: unknown) => this.#onError(error)));
  }

  async #reconcile(): Promise<void> {
    const redis = this.#redis;
    if (redis?.status !== 'ready' || this.#reader === undefined) return; // the next `ready` reconciles
    for (const type of this.#handlers.keys()) {
      if (this.#bound.has(type)) continue;
      // The groups first: an entry appended before its group exists would be read from `0` anyway.
      for (let p = 0; p < this.names.partitions; p++) {
        await redis.xgroup('CREATE', partitionStream(this.names, p), GROUP, '0', 'MKSTREAM').catch((error: unknown) => {
          if (!String(error).includes('BUSYGROUP')) throw error;
        });
      }
      await redis.sadd(bindingKey(this.names, type), this.names.service!);
      this.#bound.add(type);
    }
    const wanted = this.#handlers.size > 0 && !this.#closing;
    if (wanted && this.#coordinator === undefined) {
      const reader = this.#reader;
      const leaseMs = this.#options.leaseMs ?? 5_000;
      const heartbeatMs = this.#options.heartbeatMs ?? 1_000;
      this.#coordinator = new PartitionCoordinator({
        member: this.member,
        partitions: this.names.partitions,
        store: new RedisLeaseStore(redis, this.names, this.member, leaseMs, leaseMs),
        consumer: { start: async (p) => reader.start(p), stop: (p) => reader.stop(p) },
        heartbeatMs,
        leaseMs,
        onError: this.#onError,
      });
      await this.#coordinator.start();
      reader.run();
    } else if (!wanted && this.#coordinator !== undefined) {
      const coordinator = this.#coordinator;
      this.#coordinator = undefined;
      await coordinator.close();
    }
  }
}

/** Resolves once the client is ready, or rejects after `timeoutMs`. */
function whenReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', ready);
      reject(new Error(`not ready within ${timeoutMs} ms (${client.status})`));
    }, timeoutMs);
    client.once('ready', ready);
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
