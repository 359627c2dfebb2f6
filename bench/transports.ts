/**
 * @module bench/transports
 *
 * `npm run bench -- --only transports`: the cluster example's workers (`examples/cluster/worker.ts`, the
 * order saga on PostgreSQL with the order services) through each broker transport, with 1 and 2 worker
 * processes: events/s from the first order of the window to the last one final. The same workload for
 * each (a warm-up, then `orders` orders, a quarter of them compensating), a fresh database and broker
 * namespace per run. RabbitMQ spreads its partitions with `share` (`rabbitmq`) or `rebalance`
 * (`rabbitmq-rebalance`); Redis and NATS by their leases, so a
 * run waits until every worker reported ready and the leases had a moment to settle.
 *
 * `BENCH_TRANSPORTS=redis,nats` runs only those. Brokers: `AMQP_URL`, `REDIS_URL` (default 127.0.0.1:6379), `NATS_URL` (default 127.0.0.1:4222); a broker
 * that does not answer is skipped with a note.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { NatsTransport } from '../src/nats/index.ts';
import { RabbitMqTransport } from '../src/rabbitmq/index.ts';
import { RedisTransport } from '../src/redis/index.ts';
import { brokerReachable, deleteTopology, eventsApplied, publishOrders, startWorker, stopWorker, waitFinal } from './cluster.ts';
import { freshDatabase } from './fresh-database.ts';
import { BENCH_PG_URL, reachable } from './postgres.ts';
import { result, type BenchResult } from './report.ts';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const PARTITIONS = 8;

type Kind = 'rabbitmq' | 'rabbitmq-rebalance' | 'redis' | 'nats';

/** The broker behind a kind: `rabbitmq-rebalance` is RabbitMQ with the workers' `rebalance` option. */
function brokerOf(kind: Kind): 'rabbitmq' | 'redis' | 'nats' {
  return kind === 'rabbitmq-rebalance' ? 'rabbitmq' : kind;
}
interface Started {
  publish(envelope: import('../src/index.ts').Envelope): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function publisherFor(kind: Kind, name: string): Started {
  kind = brokerOf(kind);
  const onError = () => {};
  if (kind === 'rabbitmq') return new RabbitMqTransport({ url: AMQP_URL, exchange: name, partitions: PARTITIONS, onError });
  if (kind === 'redis') return new RedisTransport({ url: REDIS_URL, prefix: name, partitions: PARTITIONS, onError });
  return new NatsTransport({ url: NATS_URL, stream: name, partitions: PARTITIONS, onError });
}

/** Removes what a run created in the broker. */
async function cleanup(kind: Kind, name: string): Promise<void> {
  kind = brokerOf(kind);
  if (kind === 'rabbitmq') return deleteTopology(name);
  if (kind === 'redis') {
    const { Redis } = await import('ioredis');
    const admin = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `{${name}}:*`, 'COUNT', 500);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await admin.quit();
    return;
  }
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  for await (const s of jsm.streams.list()) if (s.config.name === name || s.config.name.startsWith(`${name}-`) || s.config.name.startsWith(`KV_${name}-`)) await jsm.streams.delete(s.config.name);
  await nc.close();
}

async function answers(kind: Kind): Promise<boolean> {
  kind = brokerOf(kind);
  if (kind === 'rabbitmq') return brokerReachable();
  const name = `sagaflow-bench-probe-${randomBytes(3).toString('hex')}`;
  const probe = publisherFor(kind, name);
  try {
    await Promise.race([probe.start(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3_000))]);
    return true;
  } catch {
    return false;
  } finally {
    await probe.close().catch(() => {});
    await cleanup(kind, name).catch(() => {}); // a NATS publisher declared its stream
  }
}

export async function benchTransport(kind: Kind, workers: number, orders: number, warmup: number): Promise<BenchResult> {
  const database = await freshDatabase(BENCH_PG_URL, 'sagaflow_transports');
  const name = `sagaflow-bench-${kind}-${randomBytes(3).toString('hex')}`;
  const children: ChildProcess[] = [];
  const publisher = publisherFor(kind, name);
  const db = new pg.Client({ connectionString: database.url });
  try {
    await db.connect();
    const rebalance: Record<string, string> = kind === 'rabbitmq-rebalance' ? { REBALANCE: '1' } : {};
    const env = { ...rebalance, DATABASE_URL: database.url, TRANSPORT: brokerOf(kind), AMQP_URL, REDIS_URL, NATS_URL, EXCHANGE: name, PARTITIONS: String(PARTITIONS), HEARTBEAT_MS: '250', LEASE_MS: '2000' };
    const started = await Promise.allSettled(
      Array.from({ length: workers }, (_, w) => startWorker({ ...env, WORKER_NAME: `bench-${kind}-w${w}`, WORKER_INDEX: String(w), WORKER_COUNT: String(workers) })),
    );
    for (const s of started) if (s.status === 'fulfilled') children.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    await publisher.start();
    await new Promise((r) => setTimeout(r, 1_500)); // leases settle (Redis, NATS) and standbys register (RabbitMQ)
    const run = randomBytes(3).toString('hex');
    await publishOrders(publisher, `warm-${run}`, 0, warmup);
    await waitFinal(db, warmup, 120_000);
    const events0 = await eventsApplied(db);
    const start = performance.now();
    await publishOrders(publisher, `m-${run}`, 0, orders);
    await waitFinal(db, warmup + orders, 300_000);
    const ms = performance.now() - start;
    const events = (await eventsApplied(db)) - events0;
    return result(`transport ${kind}: ${workers} worker process${workers > 1 ? 'es' : ''}, ${orders} orders`, events, ms, { transport: kind, workers, orders });
  } finally {
    await Promise.all(children.map(stopWorker));
    await publisher.close().catch(() => {});
    await db.end().catch(() => {});
    await database.drop();
    await cleanup(kind, name).catch((error: unknown) => console.error(`# could not clean up ${name}: ${String(error)}`));
  }
}

/** The transports section: each broker with 1 and 2 workers. */
export async function runTransportsBench(report: (r: BenchResult) => void, note: (line: string) => void, { orders = 2_000, warmup = 200 } = {}): Promise<void> {
  if (!(await reachable(BENCH_PG_URL))) {
    note('# Transports: skipped, needs PostgreSQL (SAGAFLOW_BENCH_PG_URL)');
    return;
  }
  note('# Transports (events/s, examples/cluster workers on PostgreSQL; the same workload through each broker)');
  const chosen = (process.env.BENCH_TRANSPORTS ?? 'rabbitmq,rabbitmq-rebalance,redis,nats').split(',');
  for (const kind of (['rabbitmq', 'rabbitmq-rebalance', 'redis', 'nats'] as const).filter((k) => chosen.includes(k))) {
    if (!(await answers(kind))) {
      note(`# ${kind}: skipped, the broker does not answer`);
      continue;
    }
    for (const workers of [1, 2]) report(await benchTransport(kind, workers, orders, warmup));
  }
}
