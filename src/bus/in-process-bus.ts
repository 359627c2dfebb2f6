/**
 * @module bus/in-process-bus
 * An in-process message bus on eventemitter3. `publish` waits for every subscriber and rejects with
 * their error; `idle()` waits until nothing is in flight, which is how tests wait for a chain of
 * messages (a saga publishing events that other sagas handle) to settle.
 */
import { EventEmitter } from 'eventemitter3';
import { createEnvelope, type Envelope, type EnvelopeOptions } from '../messages/envelope.ts';
import type { InputOf, MessageDefinition } from '../messages/message-definition.ts';
import type { MessageBus, MessageHandler } from './message-bus.ts';

const ALL = '*';

/**
 * @example
 * const bus = new InProcessBus();
 * bus.subscribe('OrderCreated', (env) => console.log(env.payload));
 * await bus.publish(OrderCreated, { orderId: 'o-1', total: 10 }, { correlationId: 'o-1' });
 */
export class InProcessBus implements MessageBus {
  readonly #emitter = new EventEmitter();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #errorHandlers = new Set<(error: unknown, envelope: Envelope) => void>();

  /** Publishes an envelope, or a payload validated against its definition. */
  publish(envelope: Envelope): Promise<void>;
  publish<M extends MessageDefinition>(message: M, payload: InputOf<M>, options?: EnvelopeOptions): Promise<void>;
  publish(first: Envelope | MessageDefinition, payload?: unknown, options?: EnvelopeOptions): Promise<void> {
    const envelope = isDefinition(first)
      ? createEnvelope(first.kind, first.name, first.parse(payload), options)
      : first;
    const pending: Promise<void>[] = [];
    this.#emitter.emit(envelope.type, envelope, pending);
    this.#emitter.emit(ALL, envelope, pending);
    if (pending.length === 0) return Promise.resolve();
    const all = Promise.allSettled(pending).then((results) => {
      const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, `${errors.length} subscribers of '${envelope.type}' failed`);
    });
    this.#track(all);
    return all;
  }

  subscribe(type: string, handler: MessageHandler): () => void {
    const listener = (envelope: Envelope, pending: Promise<void>[]) => {
      try {
        const result = handler(envelope);
        if (result && typeof result.then === 'function') pending.push(result);
      } catch (error) {
        pending.push(Promise.reject(error));
      }
    };
    this.#emitter.on(type, listener);
    return () => {
      this.#emitter.off(type, listener);
    };
  }

  /**
   * Publishes without waiting, for producers that must not be held up by their consumers (the
   * orchestrator's outgoing messages). Subscriber errors go to `onError` handlers.
   */
  dispatch(envelope: Envelope): void {
    if (this.#emitter.listenerCount(envelope.type) === 0 && this.#emitter.listenerCount(ALL) === 0) return;
    this.publish(envelope).catch((error: unknown) => {
      if (this.#errorHandlers.size === 0) return; // the publisher chose not to listen
      for (const h of this.#errorHandlers) h(error, envelope);
    });
  }

  /** True when somebody subscribed to `type` (or to every type). */
  hasSubscribers(type: string): boolean {
    return this.#emitter.listenerCount(type) > 0 || this.#emitter.listenerCount(ALL) > 0;
  }

  /** Receives errors of deliveries that nobody awaited. */
  onError(handler: (error: unknown, envelope: Envelope) => void): () => void {
    this.#errorHandlers.add(handler);
    return () => this.#errorHandlers.delete(handler);
  }

  /** Resolves when no delivery is in flight, including deliveries those deliveries caused. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #track(promise: Promise<unknown>): void {
    const settled: Promise<void> = promise.then(
      () => void this.#inFlight.delete(settled),
      () => void this.#inFlight.delete(settled),
    );
    this.#inFlight.add(settled);
  }
}

function isDefinition(value: unknown): value is MessageDefinition {
  return typeof value === 'object' && value !== null && 'schema' in value && 'name' in value && !('messageId' in value);
}
