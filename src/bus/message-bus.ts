/**
 * @module bus/message-bus
 * The transport port. The in-process bus implements it; broker transports (RabbitMQ) implement it too.
 */
import type { Envelope } from '../messages/envelope.ts';

export type MessageHandler = (envelope: Envelope) => void | Promise<void>;

export interface MessageBus {
  /** The transport's `messaging.system` for OpenTelemetry (`rabbitmq`…). Default `sagaflow` (in process). */
  readonly messagingSystem?: string;
  /** Delivers to every subscriber of `envelope.type`; resolves once they have handled it. */
  publish(envelope: Envelope): Promise<void>;
  /** Subscribes to one message type, or `'*'` for all. Returns the unsubscribe function. */
  subscribe(type: string, handler: MessageHandler): () => void;
}
