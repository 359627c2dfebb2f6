/**
 * @module partitioning/handlers
 * The broker-neutral part of handling one message: read the body, find who handles its type, run
 * them all. What to do with the outcome (acknowledge, redeliver, dead-letter) is the transport's.
 */
import type { MessageHandler } from '../bus/message-bus.ts';
import type { Envelope } from '../messages/envelope.ts';

/** The parsed body and its type (the transport's own field, else the body's), or why it cannot be read. */
export function decodeBody(text: string, typeHint: string | undefined): { type: string; body: unknown } | { problem: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { problem: 'the body is not JSON' };
  }
  const fromBody = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
  const type = typeHint ?? fromBody;
  if (typeof type !== 'string' || type.length === 0) return { problem: 'the message has no type' };
  return { type, body };
}

/** Runs every handler; resolves with the first failure's reason, or `undefined` when all succeeded. */
export async function runHandlers(handlers: readonly MessageHandler[], body: unknown): Promise<{ failed: unknown } | undefined> {
  const results = await Promise.allSettled(handlers.map(async (handler) => handler(body as Envelope)));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  return failure === undefined ? undefined : { failed: failure.reason };
}

/** The pause before handling again a message that failed on delivery `deliveries` (1-based). */
export function redeliveryDelay(options: { readonly initialDelayMs?: number; readonly maxDelayMs?: number }, deliveries: number): number {
  const initial = options.initialDelayMs ?? 200;
  return Math.min(options.maxDelayMs ?? 5_000, initial * 2 ** Math.min(deliveries - 1, 30));
}

/**
 * Adds `handler` for `type` to a transport's subscription table and calls `changed` (the transport then
 * binds or consumes what it now needs); the function returned takes it out again, once. A handler
 * subscribed twice counts twice.
 */
export function addHandler(table: Map<string, Set<MessageHandler>>, type: string, handler: MessageHandler, changed: () => void): () => void {
  let set = table.get(type);
  if (!set) table.set(type, (set = new Set()));
  const entry: MessageHandler = (envelope) => handler(envelope);
  set.add(entry);
  changed();
  return () => {
    if (!set.delete(entry)) return;
    if (set.size === 0 && table.get(type) === set) table.delete(type);
    changed();
  };
}

/** The handlers of `type` and of every type, from a transport's subscription table. */
export function handlersFor(table: ReadonlyMap<string, ReadonlySet<MessageHandler>>, type: string): MessageHandler[] {
  return [...(table.get(type) ?? []), ...(table.get('*') ?? [])];
}

/** A stable, unique-enough member name: the given name (or host and pid) and a random suffix. */
export function memberName(base: string | undefined): string {
  const safe = (base ?? `${process.pid}`).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  return `${safe}-${Math.random().toString(36).slice(2, 8)}`;
}
