/**
 * @module bench/cluster
 *
 * The cluster example (`examples/cluster/worker.ts`: the order saga on PostgreSQL behind a `WorkerHost`,
 * with the order services, all through RabbitMQ) as 1, 2 and 4 separate worker processes. For each count:
 * a fresh database (migrated by `migrate()`), a fresh exchange, the workers spawned at once, a warm-up
 * batch, then a fixed workload of `OrderCreated` published through a publish-only transport, timed until
 * every instance is final. A quarter of the orders roll back (`-nostock`, `-noship`).
 *
 * Events/s counts the saga events applied in the window (history rows, less those of compensation
 * steps): 3.875 per order on average (4 on the happy path and at `-noship`, 3 at `-nostock`). CPU seconds over the
 * window are read from /proc for the workers, PostgreSQL (every `postgres:` process: backends,
 * walwriter, checkpointer…), RabbitMQ (`beam.smp`) and this driver, so the report says where the cores
 * went, not only how fast it was. A machine busy with anything else makes all of it meaningless.
 *
 * Server: `BENCH_PG_URL` (its role must be allowed to CREATE DATABASE); broker: `AMQP_URL`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import pg from 'pg';
import { OrderCreated } from '../examples/order-saga.ts';
import { FAILS_AT_SHIPPING, FAILS_AT_STOCK } from '../examples/cluster/order-services.ts';
import { createEnvelope, type Envelope } from '../src/index.ts';
import { RabbitMqTransport } from '../src/rabbitmq/index.ts';
import { freshDatabase } from './fresh-database.ts';
import { BENCH_PG_URL, reachable } from './postgres.ts';
import { cpuSeconds, groupCpu } from './process-cpu.ts';
import { result, type BenchResult } from './report.ts';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PARTITIONS = 8;

export interface ClusterBenchOptions {
  readonly workers?: readonly number[];
  /** Orders in the measured window, per worker count. */
  readonly orders?: number;
  /** Orders before the window: connections, JIT, prepared statements in every worker. */
  readonly warmup?: number;
}

/** The order id of the i-th order: one in eight fails at stock, one in eight at shipping. */
function orderId(prefix: string, i: number): string {
  const suffix = i % 8 === 3 ? FAILS_AT_STOCK : i % 8 === 7 ? FAILS_AT_SHIPPING : '';
  return `${prefix}-${i}${suffix}`;
}


/** Spawns one worker and resolves once it logged `worker started`. */
export function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/cluster/worker.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${env.WORKER_NAME} did not start within 60 s: ${errors}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"msg":"worker started"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${env.WORKER_NAME} exited with ${code}: ${errors}`));
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited after 15 s. */
export function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Deletes every queue and exchange whose name starts with `<exchange>` (the broker lists them; amqplib deletes). */
export async function deleteTopology(exchange: string): Promise<void> {
  const run = promisify(execFile);
  const list = async (what: string) =>
    (await run('rabbitmqctl', [what, '-q', '--no-table-headers', 'name'])).stdout.split('\n').filter((n) => n === exchange || n.startsWith(`${exchange}.`));
  const model = await connect(AMQP_URL);
  try {
    const channel = await model.createChannel();
    for (const queue of await list('list_queues')) await channel.deleteQueue(queue);
    for (const name of await list('list_exchanges')) await channel.deleteExchange(name);
  } finally {
    await model.close();
  }
}

/**
 * Which worker consumes each partition queue: single-active-consumer queues serve one consumer at a
 * time, the first that registered, so how the partitions spread depends on which process got there
 * first. Returns e.g. `bench-w0 orders 8/8 services 0/8`. Best effort: `undefined` if rabbitmqctl fails.
 */
async function activePartitions(exchange: string): Promise<Record<string, string> | undefined> {
  const run = promisify(execFile);
  const rows = async (...args: string[]) =>
    (await run('rabbitmqctl', [...args, '-q', '--no-table-headers'])).stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
  try {
    const names = new Map<string, string>(); // connection pid -> connection name
    for (const [pid, props] of await rows('list_connections', 'pid', 'client_properties')) {
      const name = /"connection_name",(?:longstr,)?"([^"]+)"/.exec(props ?? '')?.[1];
      if (pid && name) names.set(pid, name);
    }
    const channels = new Map<string, string>(); // channel pid -> connection name
    for (const [pid, connection] of await rows('list_channels', 'pid', 'connection')) channels.set(pid!, names.get(connection!) ?? '?');
    const counts: Record<string, number> = {};
    for (const [queue, channel, active] of await rows('list_consumers', 'queue_name', 'channel_pid', 'active')) {
      if (!queue!.startsWith(`${exchange}.`) || active !== 'true') continue;
      const who = channels.get(channel!) ?? '?';
      counts[who] = (counts[who] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(counts).sort().map(([who, n]) => [who, `${n}/${PARTITIONS}`]));
  } catch {
    return undefined;
  }
}

/** Publishes `OrderCreated` for orders `from`…`to - 1`, 64 confirms outstanding at a time. */
export async function publishOrders(bus: { publish(envelope: Envelope): Promise<void> }, prefix: string, from: number, to: number): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < to) {
        const id = orderId(prefix, next++);
        const payload = OrderCreated.parse({ orderId: id, customerId: 'c-1', total: 99.5, items: [{ sku: 'BOOK', quantity: 1 }] });
        await bus.publish(createEnvelope('event', OrderCreated.name, payload, { correlationId: id }));
      }
    }),
  );
}

export async function waitFinal(db: pg.Client, expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM sagaflow_instances WHERE status IN ('completed', 'faulted')`);
    if (rows[0]!.n >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of ${expected} orders final after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Saga events applied so far: history rows, less the ones compensation steps write (`sagaflow.compensation.*`). */
export const eventsApplied = async (db: pg.Client) =>
  (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM sagaflow_history WHERE event_type NOT LIKE 'sagaflow.%'`)).rows[0]!.n;

/**
 * CPU seconds the whole machine spent busy (every core; /proc/stat's first line less idle and iowait):
 * what is left after the workers, PostgreSQL, RabbitMQ and the driver is someone else's load, which
 * makes the run worth nothing. Printed as `other`.
 */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** CPU seconds and % of one core over `seconds`, as printed. */
const cpu = (s: number, seconds: number) => `${s.toFixed(1)} s (${Math.round((s / seconds) * 100)}%)`;

/** One worker count: events/s and where the CPU went. */
export async function benchCluster(workers: number, orders: number, warmup: number): Promise<BenchResult> {
  const database = await freshDatabase(BENCH_PG_URL, 'sagaflow_cluster');
  const exchange = `sagaflow-bench-${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];
  // Anything the broker does to us (a restart by someone else's test, say) spoils the run: counted and reported.
  let brokerTroubles = 0;
  const publisher = new RabbitMqTransport({
    url: AMQP_URL,
    exchange,
    partitions: PARTITIONS,
    connectionName: 'bench/publisher',
    onError: (error) => {
      brokerTroubles++;
      if (brokerTroubles === 1) console.error(`# broker trouble during the cluster bench: ${String(error)}`);
    },
  });
  const db = new pg.Client({ connectionString: database.url });
  try {
    await db.connect();
    // All at once, as a deployment starts them; a worker that failed to start fails the run.
    const started = await Promise.allSettled(
      Array.from({ length: workers }, (_, w) =>
        startWorker({ DATABASE_URL: database.url, AMQP_URL, EXCHANGE: exchange, WORKER_NAME: `bench-w${w}`, WORKER_INDEX: String(w), WORKER_COUNT: String(workers), PARTITIONS: String(PARTITIONS) }),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') children.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    await publisher.start();
    const run = randomBytes(3).toString('hex');
    await publishOrders(publisher, `warm-${run}`, 0, warmup);
    await waitFinal(db, warmup, 60_000);

    const active = await activePartitions(exchange);
    const pids = children.map((c) => c.pid!);
    const troublesBefore = brokerTroubles;
    const postgres = groupCpu('postgres:');
    const rabbit = groupCpu('beam.smp');
    const events0 = await eventsApplied(db);
    const before = { workers: pids.map(cpuSeconds), postgres: postgres(), rabbit: rabbit(), driver: process.cpuUsage(), machine: machineBusySeconds() };
    const start = performance.now();
    await publishOrders(publisher, `m-${run}`, 0, orders);
    await waitFinal(db, warmup + orders, 300_000);
    const ms = performance.now() - start;
    // Read while the workers and their backends are still alive: a gone process's CPU is gone from /proc.
    const perWorker = pids.map((pid, i) => cpuSeconds(pid) - before.workers[i]!);
    const pgCpu = postgres() - before.postgres;
    const rabbitCpu = rabbit() - before.rabbit;
    const driver = process.cpuUsage(before.driver);
    const machine = machineBusySeconds() - before.machine;
    const events = (await eventsApplied(db)) - events0;
    const disturbed = brokerTroubles > troublesBefore || children.some((c) => c.exitCode !== null || c.signalCode !== null);
    const { rows } = await db.query<{ p50: number; p99: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
         FROM (SELECT extract(epoch FROM completed_at - created_at) * 1000 AS ms FROM sagaflow_instances WHERE correlation_id LIKE $1) t`,
      [`m-${run}-%`],
    );

    const seconds = ms / 1000;
    const workersCpu = perWorker.reduce((a, b) => a + b, 0);
    const driverCpu = (driver.user + driver.system) / 1e6;
    const otherCpu = Math.max(0, machine - workersCpu - pgCpu - rabbitCpu - driverCpu);
    const split = workers > 1 ? ` [${perWorker.map((s) => s.toFixed(1)).join(' + ')}]` : '';
    return result(`cluster: ${workers} worker process${workers > 1 ? 'es' : ''}, ${orders} orders (1/4 compensate)`, events, ms, {
      p50_ms: Math.round(Number(rows[0]!.p50)),
      p99_ms: Math.round(Number(rows[0]!.p99)),
      workers,
      orders,
      cpu_seconds: {
        workers: +workersCpu.toFixed(2),
        per_worker: perWorker.map((s) => +s.toFixed(2)),
        postgres: +pgCpu.toFixed(2),
        rabbitmq: +rabbitCpu.toFixed(2),
        driver: +driverCpu.toFixed(2),
        other: +otherCpu.toFixed(2),
      },
      ...(active && { active_partitions: active }),
      ...(disturbed && { disturbed: 'the broker connection dropped or a worker exited during the window' }),
      cpu: `${disturbed ? 'DISTURBED (broker or worker trouble), ' : ''}workers ${cpu(workersCpu, seconds)}${split}, postgres ${cpu(pgCpu, seconds)}, rabbitmq ${cpu(rabbitCpu, seconds)}, driver ${cpu(driverCpu, seconds)}, other ${cpu(otherCpu, seconds)}${
        active && workers > 1 ? `; active partitions ${Object.entries(active).map(([who, n]) => `${who} ${n}`).join(', ')}` : ''
      }`,
    });
  } finally {
    await Promise.all(children.map(stopWorker));
    await publisher.close().catch(() => {});
    await db.end().catch(() => {});
    await database.drop();
    // Three tries: a broker restarted under us (someone else's test) refuses connections for a while.
    for (let attempt = 1; ; attempt++) {
      try {
        await deleteTopology(exchange);
        break;
      } catch (error) {
        if (attempt === 3) console.error(`# could not delete ${exchange}'s queues (rabbitmqctl delete_queue them): ${String(error)}`);
        if (attempt === 3) break;
        await new Promise((r) => setTimeout(r, 5_000));
      }
    }
  }
}

/** Whether a broker answers at `AMQP_URL`. */
export async function brokerReachable(): Promise<boolean> {
  try {
    const model = await connect(AMQP_URL);
    await model.close();
    return true;
  } catch {
    return false;
  }
}

/** The cluster section of `npm run bench`: 1, 2 and 4 workers. Prints a note and returns without a server or broker. */
export async function runClusterBench(report: (r: BenchResult) => void, note: (line: string) => void, options: ClusterBenchOptions = {}): Promise<void> {
  if (!(await reachable(BENCH_PG_URL)) || !(await brokerReachable())) {
    note('# Cluster: skipped, needs PostgreSQL (SAGAFLOW_BENCH_PG_URL) and RabbitMQ (AMQP_URL)');
    return;
  }
  const { workers = [1, 2, 4], orders = 5000, warmup = 300 } = options;
  note(`# Cluster (examples/cluster/worker.ts processes, PostgreSQL + RabbitMQ on this machine: ${availableParallelism()} cores; CPU as s and % of one core)`);
  for (const w of workers) report(await benchCluster(w, orders, warmup));
}
