import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ChangeFeed, defineEvent, defineSaga, SagaOperations, SagaOrchestrator, type FeedEvent, type SagaRepository } from '../../src/index.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { OrderCreated, OrderSaga } from '../../examples/order-saga.ts';

const Ping = defineEvent('Ping', z.object({ id: z.string() }));
const Done = defineEvent('Done', z.object({ id: z.string() }));
/** Removed from the store when it finishes. */
const Ephemeral = defineSaga('ephemeral', { data: z.object({}), states: ['Open', 'Closed'], removeOnCompletion: true })
  .event(Ping, { correlateBy: (p) => p.id })
  .event(Done, { correlateBy: (p) => p.id })
  .initially((s) => s.when(Ping).transitionTo('Open'))
  .during('Open', (s) => s.when(Ping).transitionTo('Open').when(Done).transitionTo('Closed').finalize());

let db: TestDatabase;
/** The feed's own connection, and another one for the "other process" that writes. */
let watched: PrismaSagaRepository;
let writer: PrismaSagaRepository;
let orchestrator: SagaOrchestrator;
const feeds: ChangeFeed[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  watched = await createPrismaRepository({ databaseUrl: db.url, cache: false });
  writer = await createPrismaRepository({ databaseUrl: db.url });
  orchestrator = new SagaOrchestrator({ sagas: [OrderSaga, Ephemeral], repository: writer, onError: () => {} });
});

afterEach(async () => {
  await Promise.all(feeds.splice(0).map((f) => f.close()));
});

afterAll(async () => {
  await orchestrator.close();
  await writer.close();
  await watched.close();
  await db.drop();
});

/** Collects what a feed reports, and waits for what a test expects. */
function listen(feed: ChangeFeed) {
  const events: FeedEvent[] = [];
  let waiters: Array<() => void> = [];
  const stop = feed.subscribe((event) => {
    events.push(event);
    for (const w of waiters.splice(0)) w();
  });
  const until = async (predicate: (events: readonly FeedEvent[]) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(events)) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(events)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { events, stop, until };
}

function newFeed(repository: SagaRepository = watched): ChangeFeed {
  const feed = new ChangeFeed({ repository, pollIntervalMs: 50, statsIntervalMs: 0 });
  feeds.push(feed);
  return feed;
}

const instanceEvents = (events: readonly FeedEvent[]) =>
  events.flatMap((e) => (e.type === 'instance' ? [`${e.kind} ${e.instance.correlationId} v${e.instance.version} ${e.instance.state}`] : []));

describe('ChangeFeed', () => {
  it('reports instances another process creates and changes, in order, but nothing from before it started', async () => {
    await orchestrator.publish(OrderCreated, { orderId: 'before', customerId: 'c', total: 1, items: [{ sku: 'A', quantity: 1 }] });
    const feed = newFeed();
    const { events, until } = listen(feed);
    await feed.ready();
    await orchestrator.publish(Ping, { id: 'p-1' });
    // A pass reports the version it finds: two writes between passes are one change.
    await until((e) => instanceEvents(e).length >= 1);
    await orchestrator.publish(Ping, { id: 'p-1' });
    await until((e) => instanceEvents(e).length >= 2);
    expect(instanceEvents(events)).toEqual(['created p-1 v1 Open', 'updated p-1 v2 Open']);
    await until((e) => e.some((x) => x.type === 'stats'));
    const stats = events.find((e) => e.type === 'stats');
    expect(stats).toMatchObject({ counts: expect.arrayContaining([{ sagaName: 'ephemeral', state: 'Open', status: 'active', count: 1 }]) });
  });

  it('reports an instance removed on completion', async () => {
    const feed = newFeed();
    const { events, until } = listen(feed);
    await feed.ready();
    await orchestrator.publish(Ping, { id: 'p-2' });
    await until((e) => instanceEvents(e).includes('created p-2 v1 Open'));
    await orchestrator.publish(Done, { id: 'p-2' });
    await until((e) => e.some((x) => x.type === 'instance' && x.kind === 'removed'));
    const removed = events.find((e) => e.type === 'instance' && e.kind === 'removed');
    expect(removed).toMatchObject({ instance: { correlationId: 'p-2', removed: true } });
  });

  it('polls only while someone listens', async () => {
    let lists = 0;
    // The feed reads through list, countByState and findById; count the lists on the real repository.
    const counting = {
      list: (query: Parameters<SagaRepository['list']>[0]) => ((lists += 1), watched.list(query)),
      countByState: () => watched.countByState(),
      findById: (id: string) => watched.findById(id),
    } as unknown as SagaRepository;
    const feed = newFeed(counting);
    expect(feed.active).toBe(false);
    const { stop } = listen(feed);
    await feed.ready();
    expect(feed.active).toBe(true);
    stop();
    await feed.close();
    const after = lists;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lists).toBe(after);
  });

  it('streams through SagaOperations.watch until aborted', async () => {
    const ops = new SagaOperations({ repository: watched });
    const abort = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const event of ops.watch({ pollIntervalMs: 50, signal: abort.signal })) {
        if (event.type === 'instance') seen.push(event.instance.correlationId);
        if (seen.includes('w-1')) abort.abort();
      }
    })();
    // The watch primes on its first pass; keep writing until it reports one.
    for (let i = 0; i < 100 && !seen.includes('w-1'); i++) {
      await orchestrator.publish(Ping, { id: 'w-1' });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await reading;
    expect(seen).toContain('w-1');
  });
});
