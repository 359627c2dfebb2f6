/**
 * @module http/events
 *
 * `GET /api/events`: Server-Sent Events from one change feed shared by every connected client. Event
 * `instance` carries an instance summary (with `removed: true` when it left the store), event `stats`
 * the `/api/stats` body; a `: ping` comment keeps proxies from closing an idle stream. The feed polls
 * only while at least one client is connected.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ChangeFeed, FeedEvent } from '../ops/change-feed.ts';

export const DEFAULT_PING_MS = 15_000;

/**
 * Answers one client: subscribes it to the feed until it disconnects.
 *
 * @example
 * app.get('/api/events', (c) => eventStream(c, feed, 15_000));
 */
export function eventStream(c: Context, feed: ChangeFeed, pingMs: number = DEFAULT_PING_MS): Response {
  return streamSSE(c, async (stream) => {
    // Writes are chained so events reach the client in the order the feed produced them.
    let chain: Promise<void> = Promise.resolve();
    const send = (write: () => Promise<void>) => {
      chain = chain.then(write).catch(() => stream.abort());
    };
    const toMessage = (event: FeedEvent) =>
      event.type === 'instance'
        ? { event: 'instance', data: JSON.stringify(event.instance) }
        : { event: 'stats', data: JSON.stringify({ counts: event.counts }) };
    const unsubscribe = feed.subscribe((event) => send(() => stream.writeSSE(toMessage(event))));
    const ping = setInterval(() => send(() => stream.write(': ping\n\n').then(() => undefined)), pingMs);
    const closed = new Promise<void>((resolve) => stream.onAbort(resolve));
    try {
      await feed.ready();
      // Tells the client the feed is watching: anything written from now on will be reported.
      send(() => stream.write(': ready\n\n').then(() => undefined));
      await closed;
    } finally {
      clearInterval(ping);
      unsubscribe();
    }
  });
}
