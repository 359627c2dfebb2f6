/**
 * @module nats/nats-transport
 * A `MessageBus` over NATS JetStream. `publish` resolves once the stream stored the message (its
 * `PubAck`), with the envelope's message id as JetStream's `Nats-Msg-Id`, so a publish repeated within
 * the duplicate window is stored once. Messages go to `<stream>.<partition>.<type>`, the partition a
 * hash of the correlation id. Each consuming service has a durable pull consumer per partition; its
 * instances share the partitions through `PartitionCoordinator` (members and leases in a key-value
 * bucket), so one instance pulls a partition at a time and the partitions follow the live instances.
 *
 * A partition taken over from an instance that died gets that instance's unacknowledged messages back
 * once their `ackWaitMs` passes (JetStream redelivers them); the connection comes back by itself.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { MessageBus, MessageHandler } from '../bus/message-bus.ts';
import { TransportError } from '../errors/transport-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import { PartitionCoordinator } from '../partitioning/coordinator.ts';
import { addHandler, memberName } from '../partitioning/handlers.ts';
import { partitionKey, partitionOf } from '../partitioning/partition.ts';
import { settledChain } from '../partitioning/settled.ts';
import { importPeer } from '../peers/optional-peers.ts';
import { NatsLeaseStore } from './lease-store.ts';
import { assertName, assertSubjectType, bindingKey, bindingsBucket, membersBucket, type NatsNames, subjectOf } from './names.ts';
import { NatsPartitionPuller, TYPE_HEADER, type RedeliveryOptions } from './partition-puller.ts';
import { declareConsumers, declareStreams } from './topology.ts';

export interface NatsTransportOptions {
  /** Default `nats://127.0.0.1:4222`. */
  readonly url?: string;
  /** The JetStream stream every process of the system shares (also the subject prefix). Default `sagaflow`. */
  readonly stream?: string;
  /** The consuming service this process is an instance of; without it the transport only publishes. */
  readonly service?: string;
  /** Partitions. Default 8. Must be the same in every process sharing the stream. */
  readonly partitions?: number;
  /** Messages per partition this process handles at once. Default 16. */
  readonly prefetch?: number;
  /** Deliveries of a failing message before it is moved to the dead-letter stream. Default 5. */
  readonly maxDeliveries?: number;
  readonly redelivery?: RedeliveryOptions;
  /** How long JetStream waits for an ack before redelivering (to the next owner, after a crash). Default 30 s. */
  readonly ackWaitMs?: number;
  /** How often an instance says it is alive and rebalances. Default 1 s. */
  readonly heartbeatMs?: number;
  /** How long a partition lease lasts without renewal. Default 5 s. */
  readonly leaseMs?: number;
  /** How long the stream keeps a message (the stream's `max_age`, set when it is created). Default 7 days. */
  readonly maxAgeMs?: number;
  /** How long a publish waits for the stream's acknowledgement. Default 10 s. */
  readonly publishTimeoutMs?: number;
  /** How long `start()` tries to connect. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** The connection's name (the server's `connz`), and the start of this instance's member name. */
  readonly connectionName?: string;
  readonly onError?: (error: unknown) => void;
}

/**
 * @example
 * const transport = new NatsTransport({ url: process.env.NATS_URL, service: 'orders' });
 * const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository, bus: transport });
 * await transport.start();
 * await orchestrator.start();
 */
export class NatsTransport implements MessageBus {
  readonly messagingSystem = 'nats';
  readonly names: NatsNames;
  readonly member: string;
  readonly #options: NatsTransportOptions;
  readonly #onError: (error: unknown) => void;
  readonly #handlers = new Map<string, Set<MessageHandler>>();
  readonly #bound = new Set<string>();
  readonly #publishing = new Set<Promise<unknown>>();
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #headers: (() => import('@nats-io/transport-node').MsgHdrs) | undefined;
  #puller: NatsPartitionPuller | undefined;
  #members: KV | undefined;
  #coordinator: PartitionCoordinator | undefined;
  #sync: Promise<void> = Promise.resolve();
  #closing = false;

  constructor(options: NatsTransportOptions = {}) {
    this.#options = options;
    this.names = { stream: options.stream ?? 'sagaflow', service: options.service, partitions: options.partitions ?? 8 };
    partitionOf('', this.names.partitions);
    assertName(this.names.stream, 'stream');
    if (options.service !== undefined) assertName(options.service, 'service');
    for (const [name, value] of [['prefetch', options.prefetch], ['maxDeliveries', options.maxDeliveries]] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new RangeError(`NatsTransport option ${name} must be a positive integer, got ${value}`);
    }
    this.member = memberName(options.connectionName);
    this.#onError = options.onError ?? ((error) => console.error('[sagaflow] nats:', error));
  }

  /** Connects and declares the streams; rejects with `TransportError` if NATS stays unreachable. */
  async start(): Promise<void> {
    if (this.#closing) throw new TransportError('closed', 'the transport is closed');
    const { nats, jetstream, kv } = await importPeer(['@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/kv'], 'nats', async () => ({
      nats: await import('@nats-io/transport-node'),
      jetstream: await import('@nats-io/jetstream'),
      kv: await import('@nats-io/kv'),
    }));
    const timeout = this.#options.connectTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeout;
    let nc: NatsConnection | undefined;
    for (let attempt = 0; nc === undefined; attempt++) {
      try {
        nc = await nats.connect({
          servers: this.#options.url ?? 'nats://127.0.0.1:4222',
          name: this.#options.connectionName ?? this.member,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          timeout: Math.max(100, Math.min(2_000, deadline - Date.now())),
        });
      } catch (error) {
        if (Date.now() + 100 >= deadline) {
          this.#closing = true;
          throw new TransportError('closed', `could not connect to NATS within ${timeout} ms: ${describe(error)}`, error);
        }
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1_000)));
      }
    }
    this.#nc = nc;
    void this.#watch(nc);
    const js = (this.#js = jetstream.jetstream(nc, { timeout: this.#options.publishTimeoutMs ?? 10_000 }));
    const jsm = (this.#jsm = await jetstream.jetstreamManager(nc));
    this.#headers = nats.headers;
    await declareStreams(jsm, this.names, this.#options.maxAgeMs ?? 7 * 24 * 3_600_000);
    if (this.names.service !== undefined) {
      const kvm = new kv.Kvm(nc);
      const bindings = await kvm.create(bindingsBucket(this.names), { history: 1 });
      this.#members = await kvm.create(membersBucket(this.names), { history: 1, ttl: this.#options.leaseMs ?? 5_000 });
      await declareConsumers(jsm, this.names, this.#options.ackWaitMs ?? 30_000);
      this.#puller = new NatsPartitionPuller({
        js,
        jsm,
        bindings,
        names: this.names,
        prefetch: this.#options.prefetch ?? 16,
        maxDeliveries: this.#options.maxDeliveries ?? 5,
        redelivery: this.#options.redelivery ?? {},
        handlers: this.#handlers,
        holds: (p) => this.#coordinator?.holds(p) === true,
        headers: nats.headers,
        onError: this.#onError,
      });
      this.#bindings = bindings;
    }
    this.#resync();
    await this.ready();
  }

  #bindings: KV | undefined;
  #jsm: import('@nats-io/jetstream').JetStreamManager | undefined;

  /** True while connected. */
  get connected(): boolean {
    return this.#nc !== undefined && !this.#nc.isClosed() && this.#reconnecting === false;
  }

  #reconnecting = false;

  /** The partitions this instance pulls now. */
  get partitions(): number[] {
    return this.#coordinator?.owned ?? [];
  }

  ready(): Promise<void> {
    return settledChain(() => this.#sync);
  }

  /** Stores the message in the stream; rejects with `TransportError` if JetStream does not acknowledge it. */
  async publish(envelope: Envelope): Promise<void> {
    const js = this.#js;
    if (this.#closing || js === undefined || this.#headers === undefined) throw new TransportError('closed', 'the transport is closed (or not started)');
    const h = this.#headers();
    h.set(TYPE_HEADER, envelope.type);
    const subject = subjectOf(this.names, partitionOf(partitionKey(envelope), this.names.partitions), envelope.type);
    const sent = this.#publishUntil(js, subject, JSON.stringify(envelope), envelope.messageId, h).catch((error: unknown) => {
      throw new TransportError(this.connected ? 'unconfirmed' : 'disconnected', `'${envelope.type}' ${envelope.messageId} was not acknowledged by JetStream; publish it again`, error);
    });
    const tracked = sent.catch(() => {}).finally(() => this.#publishing.delete(tracked));
    this.#publishing.add(tracked);
    return sent;
  }

  /**
   * Publishes, and publishes again when no acknowledgement came within a couple of seconds (it may have
   * been lost with a connection): the stream stores a message id once within its duplicate window, so
   * repeating is safe. Gives up after `publishTimeoutMs`.
   */
  async #publishUntil(js: JetStreamClient, subject: string, body: string, msgID: string, headers: import('@nats-io/transport-node').MsgHdrs): Promise<void> {
    const deadline = Date.now() + (this.#options.publishTimeoutMs ?? 10_000);
    for (;;) {
      const timeout = Math.max(100, Math.min(2_000, deadline - Date.now()));
      try {
        await js.publish(subject, body, { msgID, headers, timeout });
        return;
      } catch (error) {
        if (this.#closing || Date.now() + 50 >= deadline) throw error;
        if (!/timeout|disconnect|closed|no responders/i.test(String(error))) throw error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  subscribe(type: string, handler: MessageHandler): () => void {
    if (this.names.service === undefined) throw new TypeError('NatsTransport: set the `service` option to subscribe');
    if (this.#closing) throw new TransportError('closed', 'the transport is closed');
    assertSubjectType(type);
    return addHandler(this.#handlers, type, handler, () => this.#resync());
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.ready().catch(() => {});
    const coordinator = this.#coordinator;
    this.#coordinator = undefined;
    await coordinator?.close();
    await this.#puller?.close();
    await Promise.allSettled([...this.#publishing]);
    await this.#nc?.close().catch(() => {});
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.#reconnecting = true;
        if (!this.#closing) this.#onError(new TransportError('disconnected', 'lost the connection to NATS, reconnecting'));
      } else if (status.type === 'reconnect') this.#reconnecting = false;
    }
  }

  #resync(): void {
    this.#sync = this.#sync.then(() => this.#reconcile().catch((error: unknown) => this.#onError(error)));
  }

  async #reconcile(): Promise<void> {
    const { puller, bindings, members } = { puller: this.#puller, bindings: this.#bindings, members: this.#members };
    if (puller === undefined || bindings === undefined || members === undefined) return;
    for (const type of this.#handlers.keys()) {
      if (this.#bound.has(type)) continue;
      await bindings.put(bindingKey(this.names, type), '');
      this.#bound.add(type);
    }
    const wanted = this.#handlers.size > 0 && !this.#closing;
    if (wanted && this.#coordinator === undefined) {
      this.#coordinator = new PartitionCoordinator({
        member: this.member,
        partitions: this.names.partitions,
        store: new NatsLeaseStore(members, this.#jsm!, membersBucket(this.names), this.member),
        consumer: { start: async (p) => puller.start(p), stop: (p) => puller.stop(p) },
        heartbeatMs: this.#options.heartbeatMs ?? 1_000,
        leaseMs: this.#options.leaseMs ?? 5_000,
        onError: this.#onError,
      });
      await this.#coordinator.start();
    } else if (!wanted && this.#coordinator !== undefined) {
      const coordinator = this.#coordinator;
      this.#coordinator = undefined;
      await coordinator.close();
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
