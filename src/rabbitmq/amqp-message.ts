/**
 * @module rabbitmq/amqp-message
 * An envelope on the wire: the whole envelope as the JSON body (so nothing is lost between an outbox
 * row and the receiving orchestrator), and its identity repeated as AMQP properties, where the broker's
 * tools (management UI, tracing, dead-letter inspection) can see it without parsing the body.
 */
import type { ConsumeMessage, Options } from 'amqplib';
import type { Envelope } from '../messages/envelope.ts';

/** The body and publish properties of `envelope`. Persistent: a durable queue keeps it across broker restarts. */
export function encode(envelope: Envelope): { content: Buffer; properties: Options.Publish } {
  const properties: Options.Publish = {
    persistent: true,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    messageId: envelope.messageId,
    type: envelope.type,
    timestamp: Math.floor(Date.parse(envelope.timestamp) / 1000),
  };
  if (envelope.correlationId !== undefined) properties.correlationId = envelope.correlationId;
  return { content: Buffer.from(JSON.stringify(envelope), 'utf8'), properties };
}

/**
 * What arrived: the message type (from the AMQP property, else from the body) and the parsed body, or
 * why it cannot be read. The body is not checked beyond JSON: `orchestrator.receive` checks it, and
 * stores what it refuses as a dead letter with the reason.
 */
export function decode(message: ConsumeMessage): { type: string; body: unknown } | { problem: string } {
  let body: unknown;
  try {
    body = JSON.parse(message.content.toString('utf8'));
  } catch {
    return { problem: 'the body is not JSON' };
  }
  const fromBody = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
  const type = message.properties.type ?? fromBody;
  if (typeof type !== 'string' || type.length === 0) return { problem: 'the message has no type' };
  return { type, body };
}

/** How many times the broker delivered this message before (quorum queues count it in a header). */
export function previousDeliveries(message: ConsumeMessage): number {
  const count: unknown = message.properties.headers?.['x-delivery-count'];
  return typeof count === 'number' && count >= 0 ? count : 0;
}
