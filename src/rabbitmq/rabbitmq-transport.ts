/**
 * @module rabbitmq/rabbitmq-transport
 * A `MessageBus` over RabbitMQ. `publish` resolves once the broker confirmed the message (it is then
 * on disk in every queue it was routed to), which is what lets the outbox mark it sent. `subscribe`
 * registers a local handler; the service's partition queues are bound for that type and consumed, with
 * manual acks (see `delivery.ts`). Messages are routed by a hash of their correlation id to one of
 * `partitions` single-active-consumer queues (see `partition.ts`, `topology.ts`).

With `rebalance`, the instances of a service spread the partitions evenly over the live instances and
move them when one joins or leaves (see `rebalancer.ts`, `membership.ts`, `balance-plan.ts`): an instance gives a partition
up by cancelling its consumer and finishing what it had in hand, then releases the partition's lock
(`partition-locks.ts`) and says so in its next heartbeat; the new owner consumes it only once it holds
that lock, so two instances never consume one partition at once, even while their views differ.
 *
 * The connection comes back by itself (see `broker-connection.ts`); on every new connection the whole
 * topology is declared again and consumption resumes. A publish during an outage waits for the
 * connection up to `publishTimeoutMs`, then rejects with `TransportError`.
 */
import type { ConsumeMessage } from 'amqplib';
import type { MessageBus, MessageHandler } from '../bus/message-bus.ts';
import { TransportError } from '../errors/transport-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import { encode } from './amqp-message.ts';
import { BrokerConnection, type BackoffOptions, type Link } from './broker-connection.ts';
import { handleDelivery, type RedeliveryOptions } from './delivery.ts';
import { addHandler, memberName } from '../partitioning/handlers.ts';
import { InFlight } from '../partitioning/in-flight.ts';
import { partitionKey, partitionOf } from '../partitioning/partition.ts';
import { Membership } from './membership.ts';
import { PartitionLocks } from './partition-locks.ts';
import { Rebalancer, type BalanceState } from './rebalancer.ts';
import { Pauses } from '../partitioning/pauses.ts';
import { settledChain } from '../partitioning/settled.ts';
import {
  assertRoutableType,
  bindType,
  declareExchange,
  declareServiceQueues,
  partitionQueue,
  routingKey,
  type TopologyNames,
} from './topology.ts';

export interface RabbitMqTransportOptions {
  /** Default `amqp://guest:guest@127.0.0.1:5672`. */
  readonly url?: string;
  /** The topic exchange every process of the system shares. Default `sagaflow`. */
  readonly exchange?: string;
  /**
   * The consuming service this process is an instance of (`orders`, `payments`): its instances share
   * its queues. Without it the transport only publishes.
   */
  readonly service?: string;
  /** Partition queues per service. Default 8. Must be the same in every process sharing the exchange. */
  readonly partitions?: number;
  /** Unacknowledged messages per partition queue this process holds at once. Default 16. */
  readonly prefetch?: number;
  /** Deliveries of a failing message before the broker dead-letters it. Default 5. */
  readonly maxDeliveries?: number;
  readonly redelivery?: RedeliveryOptions;
  readonly reconnect?: BackoffOptions;
  /** How long a publish waits for a lost connection to come back. Default 10 s. */
  readonly publishTimeoutMs?: number;
  /** How long `start()` tries to connect. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** The connection's name in the broker's tools: say which worker it is (host and pid, say). */
  readonly connectionName?: string;
  /**
   * Spreads the partitions over the instances of a service that start together: this instance (`index`,
   * 0-based, of `of`, like a StatefulSet ordinal) consumes its own share (`partition % of === index`)
   * at once and the rest only `standbyDelayMs` later (default 2 s). Single-active-consumer gives each
   * partition to its first consumer, so the owners win, and the late registrations are standbys that
   * take over when an owner goes away. Without it, whichever instance starts first takes every partition.
   */
  readonly share?: { readonly index: number; readonly of: number; readonly standbyDelayMs?: number };
  /**
   * Partitions that follow the workers: an even spread over the live instances of the service, kept
   * through joins and leaves (membership by heartbeats on a fanout exchange; a partition moves only
   * after its old owner acknowledged what it had in flight). Every instance of the service must set it;
   * not together with `share`. `true` takes the defaults: a heartbeat every 1 s, an instance gone after
   * 5 s without one. `start()` resolves before the instance consumes anything: it first listens for
   * `max(2 × heartbeatMs, memberTtlMs / 2)` to hear who else is there.
   */
  readonly rebalance?: boolean | { readonly heartbeatMs?: number; readonly memberTtlMs?: number };
  /** Connection losses, failing handlers, rejected messages. Default: `console.error`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * @example
 * const transport = new RabbitMqTransport({ url: process.env.AMQP_URL, service: 'orders' });
 * const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository, bus: transport });
 * await transport.start(); // connects, declares the queues, binds the saga's types, consumes
 * await orchestrator.start();
 * // … on shutdown:
 * await orchestrator.close();
 * await transport.close();
 */
export class RabbitMqTransport implements MessageBus {
  /** OpenTelemetry's `messaging.system` on the spans of messages it carries. */
  readonly messagingSystem = 'rabbitmq';
  readonly names: TopologyNames;
  readonly #options: RabbitMqTransportOptions;
  readonly #maxDeliveries: number;
  readonly #prefetch: number;
  readonly #onError: (error: unknown) => void;
  readonly #connection: BrokerConnection;
  readonly #handlers = new Map<string, Set<MessageHandler>>();
  /** With `rebalance`: who else consumes the service, and what they hold. */
  readonly #membership: Membership | undefined;
  /** With `rebalance`: what this instance gives up and takes on each heartbeat. */
  readonly #rebalancer: Rebalancer | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #tickQueued = false;
  /** Types bound on the connection of generation `#boundOn`. */
  #bound = new Set<string>();
  #boundOn = 0;
  #consuming: { readonly generation: number; readonly tags: Map<number, string> } | undefined;
  /** The generation whose standby consumers may register (the owners had their head start). */
  #standbyFor: number | undefined;
  #standbyTimer: ReturnType<typeof setTimeout> | undefined;
  #sync: Promise<void> = Promise.resolve();
  readonly #inFlight = new InFlight();
  readonly #publishing = new Set<Promise<void>>();
  readonly #pauses = new Pauses();
  #closing = false;

  constructor(options: RabbitMqTransportOptions = {}) {
    this.#options = options;
    this.names = { exchange: options.exchange ?? 'sagaflow', service: options.service, partitions: options.partitions ?? 8 };
    partitionOf('', this.names.partitions); // throws RangeError for a bad count, at construction
    this.#maxDeliveries = positive(options.maxDeliveries ?? 5, 'maxDeliveries');
    this.#prefetch = positive(options.prefetch ?? 16, 'prefetch');
    if (options.share !== undefined) {
      const { index, of } = options.share;
      positive(of, 'share.of');
      if (!Number.isInteger(index) || index < 0 || index >= of) {
        throw new RangeError(`RabbitMqTransport option share.index must be an integer in [0, ${of}), got ${index}`);
      }
    }
    this.#onError = options.onError ?? ((error) => console.error('[sagaflow] rabbitmq:', error));
    const rebalance = options.rebalance === true ? {} : options.rebalance || undefined;
    const heartbeatMs = positive(rebalance?.heartbeatMs ?? 1_000, 'rebalance.heartbeatMs');
    if (rebalance !== undefined) {
      if (options.share !== undefined) throw new RangeError('RabbitMqTransport options share and rebalance exclude each other: rebalance spreads the partitions itself');
      const ttl = positive(rebalance.memberTtlMs ?? 5 * heartbeatMs, 'rebalance.memberTtlMs');
      if (!(ttl > 2 * heartbeatMs)) throw new RangeError(`RabbitMqTransport option rebalance.memberTtlMs (${ttl}) must be more than twice heartbeatMs (${heartbeatMs})`);
      this.#membership = new Membership(this.names, memberName(options.connectionName), ttl);
      const settings = { membership: this.#membership, heartbeatMs, partitions: this.names.partitions, inFlight: this.#inFlight, onError: this.#onError };
      this.#rebalancer = new Rebalancer({ ...settings, resync: () => this.#resync() }, new PartitionLocks(this.names));
    }
    this.#connection = new BrokerConnection({
      url: options.url ?? 'amqp://guest:guest@127.0.0.1:5672',
      ...(options.reconnect && { reconnect: options.reconnect }),
      ...(options.connectionName !== undefined && { connectionName: options.connectionName }),
      setup: (link) => this.#setup(link),
      onError: this.#onError,
    });
  }

  /** Connects and declares everything; rejects with `TransportError` if the broker stays unreachable. */
  async start(): Promise<void> {
    await this.#connection.start(this.#options.connectTimeoutMs ?? 10_000);
    const rebalancer = this.#rebalancer;
    if (rebalancer && this.names.service !== undefined && this.#heartbeat === undefined) {
      // Each beat is a reconcile: publish this member's beat, and move partitions as the membership says.
      this.#heartbeat = setInterval(() => {
        if (this.#tickQueued) return; // a slow drain must not pile beats up behind it
        this.#tickQueued = true;
        this.#resync(() => (this.#tickQueued = false));
      }, rebalancer.heartbeatMs);
      this.#heartbeat.unref?.();
    }
    await this.ready();
  }

  /** This instance's name among the service's members (`rebalance` only). */
  get member(): string | undefined {
    return this.#membership?.member;
  }

  /**
   * With `rebalance`, what this instance knows and holds, for logs and health checks: the live members it
   * hears, the partitions it drains (cancelled, messages still in hand), the locks it holds, and which
   * partitions the others say they hold.
   */
  get balance(): BalanceState | undefined {
    return this.#rebalancer?.state(this.#connection.link);
  }

  /** The partitions this instance consumes now, ascending (with `share`, standby registrations included). */
  get partitions(): number[] {
    const consuming = this.#consuming?.generation === this.#connection.link?.generation ? this.#consuming : undefined;
    return [...(consuming?.tags.keys() ?? [])].sort((a, b) => a - b);
  }

  /** True while connected (between a loss and the reconnect it is false). */
  get connected(): boolean {
    return this.#connection.link !== undefined;
  }

  /** Resolves once the bindings and consumers for every subscription made so far are in place. */
  ready(): Promise<void> {
    return settledChain(() => this.#sync);
  }

  /** Publishes and resolves once the broker confirmed it; rejects with `TransportError` otherwise. */
  async publish(envelope: Envelope): Promise<void> {
    if (this.#closing) throw new TransportError('closed', 'the transport is closed');
    const link = await this.#connection.whenConnected(this.#options.publishTimeoutMs ?? 10_000);
    const { content, properties } = encode(envelope);
    const key = routingKey(partitionOf(partitionKey(envelope), this.names.partitions), envelope.type);
    const confirmed = new Promise<void>((resolve, reject) => {
      const unconfirmed = (cause: unknown) =>
        new TransportError(
          this.#connection.link === link ? 'nacked' : 'unconfirmed',
          `'${envelope.type}' ${envelope.messageId} was not confirmed by the broker; publish it again`,
          cause,
        );
      try {
        link.publisher.publish(this.names.exchange, key, content, properties, (error: unknown) => (error ? reject(unconfirmed(error)) : resolve()));
      } catch (error) {
        reject(unconfirmed(error)); // the channel closed under us
      }
    });
    const tracked = confirmed.catch(() => {}).finally(() => this.#publishing.delete(tracked));
    this.#publishing.add(tracked);
    return confirmed;
  }

  /**
   * Handles messages of `type` (or `'*'`, every type) in this process. The service's queues stay bound
   * to the type after unsubscribing (other instances may still handle it); once nothing is subscribed,
   * this process stops consuming and other instances take over its partitions.
   */
  subscribe(type: string, handler: MessageHandler): () => void {
    if (this.names.service === undefined) throw new TypeError('RabbitMqTransport: set the `service` option to subscribe');
    if (this.#closing) throw new TransportError('closed', 'the transport is closed');
    assertRoutableType(type);
    return addHandler(this.#handlers, type, handler, () => this.#resync());
  }

  /** Stops consuming, waits for the handlers in flight and the confirms outstanding, then disconnects. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#heartbeat);
    this.#pauses.wakeAll();
    this.#resync(); // cancels the consumers (with rebalance: drains them, then says goodbye)
    await this.ready().catch(() => {});
    await this.#inFlight.drainAll();
    while (this.#publishing.size > 0) await Promise.allSettled([...this.#publishing]);
    await this.#connection.close();
  }

  async #setup(link: Link): Promise<void> {
    await declareExchange(link.publisher, this.names);
    if (this.names.service !== undefined) await declareServiceQueues(link.consumer, this.names, this.#maxDeliveries);
    if (this.#membership && this.names.service !== undefined) {
      // The broker cancelled the beats' consumer (its queue was deleted): reconnecting declares it again.
      await this.#membership.declare(link.consumer, () => this.#connection.drop(link, new Error('the broker cancelled the membership consumer')));
      this.#rebalancer!.joined(link);
    }
    await this.#reconcile(link);
  }

  #resync(done?: () => void): void {
    this.#sync = this.#sync.then(async () => {
      done?.();
      const link = this.#connection.link;
      if (!link) return; // the next connection's setup brings it up to date
      try {
        await this.#reconcile(link);
      } catch (error) {
        this.#connection.drop(link, error);
      }
    });
  }

  /** Brings the broker in line with the handlers: every type bound, consuming exactly while something is subscribed. */
  async #reconcile(link: Link): Promise<void> {
    if (this.#boundOn !== link.generation) {
      this.#bound = new Set();
      this.#boundOn = link.generation;
    }
    for (const type of this.#handlers.keys()) {
      if (this.#bound.has(type)) continue;
      await bindType(link.consumer, this.names, type);
      this.#bound.add(type);
    }
    let consuming = this.#consuming?.generation === link.generation ? this.#consuming : undefined;
    const wanted = this.#handlers.size > 0 && !this.#closing;
    if (wanted) {
      if (!consuming) {
        await link.consumer.prefetch(this.#prefetch, false);
        consuming = this.#consuming = { generation: link.generation, tags: new Map() };
      }
      const tags = consuming.tags;
      if (this.#rebalancer) return this.#rebalancer.step(link, tags, (p) => this.#consume(link, tags, p));
      const share = this.#options.share;
      const standby = share === undefined || this.#standbyFor === link.generation;
      for (let p = 0; p < this.names.partitions; p++) {
        if (consuming.tags.has(p)) continue;
        if (!standby && p % share!.of !== share!.index) continue;
        await this.#consume(link, consuming.tags, p);
      }
      if (!standby && this.#standbyTimer === undefined) {
        // The other instances' shares: register as standby once their owners had time to register first.
        this.#standbyTimer = setTimeout(() => {
          this.#standbyTimer = undefined;
          this.#standbyFor = link.generation;
          this.#resync();
        }, share!.standbyDelayMs ?? 2_000);
        this.#standbyTimer.unref?.();
      }
    } else {
      if (consuming) {
        this.#consuming = undefined;
        clearTimeout(this.#standbyTimer);
        this.#standbyTimer = undefined;
        for (const tag of consuming.tags.values()) await link.consumer.cancel(tag);
      }
      // Leaving (the others counted it): finish what is in hand, then let them take everything at once.
      await this.#rebalancer?.leave(link);
    }
  }

  async #consume(link: Link, tags: Map<number, string>, p: number): Promise<void> {
    const reply = await link.consumer.consume(partitionQueue(this.names, p), (message) => this.#deliver(link, p, message), { noAck: false });
    tags.set(p, reply.consumerTag);
  }

  #deliver(link: Link, partition: number, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us (the queue was deleted): reconnecting declares it again.
      if (!this.#closing) this.#connection.drop(link, new Error('the broker cancelled a consumer'));
      return;
    }
    const handling = handleDelivery(
      {
        channel: link.consumer,
        handlersFor: (type) => [...(this.#handlers.get(type) ?? []), ...(this.#handlers.get('*') ?? [])],
        maxDeliveries: this.#maxDeliveries,
        redelivery: this.#options.redelivery ?? {},
        pause: (ms) => this.#pause(ms),
        onError: this.#onError,
      },
      message,
    );
    this.#inFlight.track(partition, handling.catch(this.#onError));
  }

  /** A pause that closing, and handing a partition over, cut short (`Pauses`). */
  #pause(ms: number): Promise<void> {
    return this.#closing ? Promise.resolve() : this.#pauses.pause(ms);
  }
}

function positive(value: number, option: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`RabbitMqTransport option ${option} must be a positive integer, got ${value}`);
  return value;
}
