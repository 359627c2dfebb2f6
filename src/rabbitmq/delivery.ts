/**
 * @module rabbitmq/delivery
 * What happens to one message a partition queue delivered. Every local handler of its type runs; when
 * all of them resolve the message is acknowledged. When one throws, the message goes back to the queue
 * after a backoff (held meanwhile, so a database outage is not hammered), until it has been delivered
 * `maxDeliveries` times: then it is rejected, and the broker moves it to the service's dead-letter queue.
 * A message that cannot be read, or whose type nobody here handles, is rejected at once.
 *
 * The handlers are meant to be `orchestrator.receive`, which stores what can never succeed as a dead
 * letter in the database and throws only what may pass (the store being down): broker redelivery is
 * for those. An ack that cannot be sent (the channel died meanwhile) is dropped: the broker redelivers
 * the message, and the inbox recognises it.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { MessageHandler } from '../bus/message-bus.ts';
import type { Envelope } from '../messages/envelope.ts';
import { decode, previousDeliveries } from './amqp-message.ts';

export interface RedeliveryOptions {
  /** The pause before the first redelivery; each further one doubles it. Default 200 ms. */
  readonly initialDelayMs?: number;
  /** Longest pause before a redelivery. Default 5 s. */
  readonly maxDelayMs?: number;
}

export interface DeliveryContext {
  readonly channel: Channel;
  readonly handlersFor: (type: string) => readonly MessageHandler[];
  readonly maxDeliveries: number;
  readonly redelivery: RedeliveryOptions;
  /** A pause that ends early when the transport closes. */
  readonly pause: (ms: number) => Promise<void>;
  readonly onError: (error: unknown) => void;
}

/** Handles one delivery to the end: acked, requeued or rejected. Never throws. */
export async function handleDelivery(context: DeliveryContext, message: ConsumeMessage): Promise<void> {
  const { channel, onError } = context;
  const decoded = decode(message);
  if ('problem' in decoded) {
    onError(new Error(`rejected message ${message.properties.messageId ?? '(no id)'} to the dead-letter queue: ${decoded.problem}`));
    return settle(() => channel.nack(message, false, false));
  }
  const handlers = context.handlersFor(decoded.type);
  if (handlers.length === 0) {
    onError(new Error(`rejected '${decoded.type}' message ${message.properties.messageId ?? '(no id)'} to the dead-letter queue: no handler for it here`));
    return settle(() => channel.nack(message, false, false));
  }
  const results = await Promise.allSettled(handlers.map(async (handler) => handler(decoded.body as Envelope)));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure === undefined) return settle(() => channel.ack(message));

  const deliveries = previousDeliveries(message) + 1;
  onError(failure.reason);
  if (deliveries >= context.maxDeliveries) return settle(() => channel.nack(message, false, false));
  await context.pause(redeliveryDelay(context.redelivery, deliveries));
  settle(() => channel.nack(message, false, true));
}

/** The pause before redelivering a message that failed on delivery `deliveries` (1-based). */
export function redeliveryDelay(options: RedeliveryOptions, deliveries: number): number {
  const initial = options.initialDelayMs ?? 200;
  return Math.min(options.maxDelayMs ?? 5_000, initial * 2 ** Math.min(deliveries - 1, 30));
}

/** Acks and nacks on a channel that closed meanwhile throw; the broker redelivers those messages anyway. */
function settle(send: () => void): void {
  try {
    send();
  } catch {
    // the channel is gone: the broker returns the message to the queue
  }
}
