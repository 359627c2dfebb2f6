/**
 * @module nats/partition-puller
 * Pulls the partitions this instance holds, one fetch loop per partition on its durable consumer, and
 * handles each message to the end:
 * - every local handler succeeded: `ack`;
 * - a handler failed: `nak` with a backoff (JetStream redelivers it and counts the deliveries), until
 *   `maxDeliveries`; then published to the dead-letter stream and acknowledged;
 * - unreadable, or of a type this service bound but no handler here takes: dead-lettered at once;
 * - of a type the service never bound (the stream carries every service's messages): acknowledged.
 * `stop(p)` ends the fetch loop and resolves once nothing of `p` is in flight here; a message waiting
 * for its backoff is handed back (`nak` at once) so the next owner does not wait for it.
 */
import type { Consumer, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { MessageHandler } from '../bus/message-bus.ts';
import { decodeBody, handlersFor, redeliveryDelay, runHandlers } from '../partitioning/handlers.ts';
import { InFlight } from '../partitioning/in-flight.ts';
import { bindingKey, consumerName, deadSubject, type NatsNames } from './names.ts';
import { Pauses } from '../partitioning/pauses.ts';

export interface RedeliveryOptions {
  /** The pause before the first redelivery; each further one doubles it. Default 200 ms. */
  readonly initialDelayMs?: number;
  /** Longest pause before a redelivery. Default 5 s. */
  readonly maxDelayMs?: number;
}

export interface PartitionPullerOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly bindings: KV;
  readonly names: NatsNames;
  readonly prefetch: number;
  readonly maxDeliveries: number;
  readonly redelivery: RedeliveryOptions;
  readonly handlers: ReadonlyMap<string, ReadonlySet<MessageHandler>>;
  readonly holds: (partition: number) => boolean;
  readonly headers: () => MsgHdrs;
  readonly onError: (error: unknown) => void;
}

export const TYPE_HEADER = 'Sagaflow-Type';

export class NatsPartitionPuller {
  readonly #o: PartitionPullerOptions;
  readonly #inFlight = new InFlight();
  readonly #loops = new Map<number, Promise<void>>();
  readonly #stopping = new Set<number>();
  readonly #pauses = new Pauses();
  /** Types bound for this service (bindings are never removed, so a hit can be kept). */
  readonly #bound = new Set<string>();
  readonly #unbound = new Map<string, number>();
  #closing = false;

  constructor(options: PartitionPullerOptions) {
    this.#o = options;
  }

  start(partition: number): void {
    this.#stopping.delete(partition);
    if (!this.#loops.has(partition)) this.#loops.set(partition, this.#loop(partition).finally(() => this.#loops.delete(partition)));
  }

  async stop(partition: number): Promise<void> {
    this.#stopping.add(partition);
    this.#pauses.wakeAll();
    await this.#loops.get(partition);
    await this.#inFlight.drain(partition);
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#pauses.wakeAll();
    await Promise.allSettled([...this.#loops.values()]);
    await this.#inFlight.drainAll();
  }

  #reading(p: number): boolean {
    return !this.#closing && !this.#stopping.has(p) && this.#o.holds(p);
  }

  async #loop(p: number): Promise<void> {
    const { js, names, prefetch, onError } = this.#o;
    let consumer: Consumer | undefined;
    // Runs until `stop(p)`: a lease that looks expired for a moment (a late beat) pauses the pulling,
    // it does not end it, because the coordinator only starts a loop when it acquires the partition.
    while (!this.#closing && !this.#stopping.has(p)) {
      if (!this.#o.holds(p)) {
        await this.#pause(100);
        continue;
      }
      const room = prefetch - this.#inFlight.count(p);
      if (room <= 0) {
        await this.#inFlight.changed(500);
        continue;
      }
      try {
        consumer ??= await js.consumers.get(names.stream, consumerName(names, p));
        const batch = await consumer.fetch({ max_messages: room, expires: 1_000, idle_heartbeat: 500 });
        // A pull request lost with a connection would leave the batch open for ever: end it ourselves.
        const watchdog = setTimeout(() => batch.stop(), 3_000);
        try {
          for await (const message of batch) {
            if (this.#reading(p)) this.#dispatch(p, message);
            else message.nak(); // fetched as the partition was given up: straight back for the next owner
          }
        } finally {
          clearTimeout(watchdog);
        }
      } catch (error) {
        consumer = undefined;
        if (!this.#closing) onError(error);
        await this.#pause(250);
      }
    }
  }

  #dispatch(p: number, message: JsMsg): void {
    this.#inFlight.track(
      p,
      this.#handle(p, message).catch((error: unknown) => this.#o.onError(error)), // unsettled: JetStream redelivers after ack_wait
    );
  }

  async #handle(p: number, message: JsMsg): Promise<void> {
    const { onError, maxDeliveries } = this.#o;
    const hint = message.headers?.get(TYPE_HEADER) || undefined;
    const decoded = decodeBody(message.string(), hint);
    if ('problem' in decoded) {
      onError(new Error(`moved message ${message.seq} of ${message.subject} to the dead-letter stream: ${decoded.problem}`));
      return this.#deadLetter(message, decoded.problem);
    }
    const handlers = handlersFor(this.#o.handlers, decoded.type);
    if (handlers.length === 0) {
      if (!(await this.#isBound(decoded.type))) return message.ack(); // another service's message
      onError(new Error(`moved '${decoded.type}' message ${message.seq} to the dead-letter stream: no handler for it here`));
      return this.#deadLetter(message, 'no handler for its type');
    }
    const outcome = await runHandlers(handlers, decoded.body);
    if (outcome === undefined) return message.ack();
    onError(outcome.failed);
    const deliveries = message.info.deliveryCount;
    if (deliveries >= maxDeliveries) return this.#deadLetter(message, `failed ${deliveries} times: ${describe(outcome.failed)}`);
    if (!this.#reading(p)) return message.nak();
    // Held here for the backoff rather than `nak(delay)`: a hand-over cuts it short and returns the message at once.
    await this.#pause(redeliveryDelay(this.#o.redelivery, deliveries));
    message.nak();
  }

  async #isBound(type: string): Promise<boolean> {
    if (this.#bound.has(type)) return true;
    // Another service's type: asked again at most every 2 s (a binding made meanwhile is seen within that).
    const until = this.#unbound.get(type);
    if (until !== undefined && until > Date.now()) return false;
    const { bindings, names } = this.#o;
    for (const key of [bindingKey(names, type), bindingKey(names, '*')]) {
      const entry = await bindings.get(key);
      if (entry !== null && entry.operation === 'PUT') {
        this.#bound.add(type);
        return true;
      }
    }
    this.#unbound.set(type, Date.now() + 2_000);
    return false;
  }

  async #deadLetter(message: JsMsg, reason: string): Promise<void> {
    const { js, names } = this.#o;
    const h = this.#o.headers();
    h.set('Sagaflow-Reason', reason.replace(/[\r\n]+/g, ' ').slice(0, 1_000));
    h.set('Sagaflow-Subject', message.subject);
    const type = message.headers?.get(TYPE_HEADER);
    if (type) h.set(TYPE_HEADER, type);
    await js.publish(deadSubject(names), message.data, { headers: h, msgID: `dead-${names.stream}-${message.info.streamSequence}-${names.service}` });
    message.ack();
  }

  /** A pause that closing, and handing a partition over, cut short (`Pauses`). */
  #pause(ms: number): Promise<void> {
    return this.#closing ? Promise.resolve() : this.#pauses.pause(ms);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
