/**
 * @module rabbitmq/broker-connection
 * One connection to the broker that comes back. When it drops (broker restart, network, a channel
 * error), it reconnects with exponential backoff and full jitter, opens fresh channels and runs `setup`
 * (declare the topology, consume again) before anybody may use it: a publish never goes out on a
 * connection whose topology is not declared. Callers that need a connection wait for one, bounded.
 *
 * Any channel closing on its own takes the whole connection down with it: a half-working connection
 * (publishing works, consuming silently stopped) is worse than a short reconnect.
 */
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { importPeer } from '../peers/optional-peers.ts';
import { TransportError } from '../errors/transport-error.ts';

export interface BackoffOptions {
  /** First pause after a failed attempt. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Longest pause. Default 5 s. */
  readonly maxDelayMs?: number;
}

/** A live connection and its two channels; `generation` counts connections, so stale ones can be told apart. */
export interface Link {
  readonly model: ChannelModel;
  readonly publisher: ConfirmChannel;
  readonly consumer: Channel;
  readonly generation: number;
}

export interface BrokerConnectionOptions {
  readonly url: string;
  /** Shown by the broker's tools (`rabbitmqctl list_connections client_properties`), to tell workers apart. */
  readonly connectionName?: string;
  readonly reconnect?: BackoffOptions;
  /** Runs on every new connection before it is handed out; a failure drops it and tries again. */
  readonly setup: (link: Link) => Promise<void>;
  readonly onError: (error: unknown) => void;
}

/** The pause before attempt `attempt` (1-based): exponential, capped, with full jitter so a fleet does not reconnect in step. */
export function backoffDelay(options: BackoffOptions, attempt: number): number {
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5_000;
  return Math.random() * Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
}

export class BrokerConnection {
  readonly #options: BrokerConnectionOptions;
  #link: Link | undefined;
  #generation = 0;
  #closed = false;
  #started = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #connecting: Promise<void> | undefined;
  readonly #waiters = new Set<{ resolve: (link: Link) => void; reject: (error: unknown) => void }>();

  constructor(options: BrokerConnectionOptions) {
    this.#options = options;
  }

  /** The connection, if there is one right now. */
  get link(): Link | undefined {
    return this.#link;
  }

  /**
   * Connects, retrying with backoff for up to `timeoutMs`; rejects with `TransportError` (`closed`) if
   * the broker cannot be reached by then. After that first success, a lost connection is retried forever.
   */
  async start(timeoutMs: number): Promise<void> {
    if (this.#closed) throw new TransportError('closed', 'the transport is closed');
    if (!this.#started) {
      this.#started = true;
      this.#schedule(0);
    }
    try {
      await this.whenConnected(timeoutMs);
    } catch (error) {
      if (this.#link === undefined) await this.close();
      throw new TransportError('closed', `could not connect to the broker within ${timeoutMs} ms: ${describe(error)}`, error);
    }
  }

  /** The connection, waiting up to `timeoutMs` for one; rejects with `TransportError` (`disconnected`). */
  whenConnected(timeoutMs: number): Promise<Link> {
    if (this.#link) return Promise.resolve(this.#link);
    if (this.#closed) return Promise.reject(new TransportError('closed', 'the transport is closed'));
    return new Promise<Link>((resolve, reject) => {
      const waiter = {
        resolve: (link: Link) => {
          clearTimeout(timer);
          resolve(link);
        },
        reject: (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new TransportError('disconnected', `no connection to the broker for ${timeoutMs} ms; it is being retried`, this.#lastError));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  #lastError: unknown;

  /** Drops the current connection on purpose (a channel failed); a new one follows. */
  drop(link: Link, reason: unknown): void {
    if (this.#link !== link) return;
    this.#lost(link, reason);
    link.model.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#waiters) w.reject(new TransportError('closed', 'the transport is closed'));
    this.#waiters.clear();
    await this.#connecting?.catch(() => {});
    const link = this.#link;
    this.#link = undefined;
    if (!link) return;
    // Channels first: a channel's close goes out after its own acks, while the connection's close may
    // overtake acks still queued on a channel, and the broker would redeliver those messages.
    await link.consumer.close().catch(() => {});
    await link.publisher.close().catch(() => {});
    await link.model.close().catch(() => {});
  }

  #schedule(delayMs: number, attempt = 1): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#connecting = this.#attempt().then(
        () => void (this.#connecting = undefined),
        (error: unknown) => {
          this.#connecting = undefined;
          this.#lastError = error;
          this.#options.onError(new TransportError('disconnected', `connecting to the broker failed (attempt ${attempt}): ${describe(error)}`, error));
          this.#schedule(backoffDelay(this.#options.reconnect ?? {}, attempt), attempt + 1);
        },
      );
    }, delayMs);
  }

  async #attempt(): Promise<void> {
    const name = this.#options.connectionName;
    const { connect } = await importPeer('amqplib', 'rabbitmq', () => import('amqplib'));
    const model = await connect(this.#options.url, name === undefined ? {} : { clientProperties: { connection_name: name } });
    try {
      model.on('error', (error: unknown) => (this.#lastError = error)); // 'close' follows; without a listener it would crash the process
      const publisher = await model.createConfirmChannel();
      const consumer = await model.createChannel();
      const link: Link = { model, publisher, consumer, generation: ++this.#generation };
      let dead = false;
      for (const channel of [publisher, consumer]) {
        channel.on('error', (error: unknown) => (this.#lastError = error));
        channel.on('close', () => this.drop(link, this.#lastError ?? new Error('a channel closed')));
      }
      model.on('close', (error?: unknown) => {
        dead = true;
        this.#lost(link, error);
      });
      await this.#options.setup(link);
      if (dead) throw new Error('the connection closed during setup');
      if (this.#closed) throw new TransportError('closed', 'the transport was closed while connecting');
      this.#link = link;
      for (const w of this.#waiters) w.resolve(link);
      this.#waiters.clear();
    } catch (error) {
      await model.close().catch(() => {});
      throw error;
    }
  }

  #lost(link: Link, error: unknown): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    if (this.#closed) return;
    this.#lastError = error;
    this.#options.onError(new TransportError('disconnected', `lost the connection to the broker, reconnecting: ${describe(error)}`, error));
    this.#schedule(0);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
