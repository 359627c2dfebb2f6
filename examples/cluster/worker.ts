/**
 * One worker of a cluster: the order saga on PostgreSQL, taking its messages from a broker (RabbitMQ,
 * Redis Streams or NATS JetStream: `TRANSPORT`, see `transport.ts`) through a `WorkerHost`, with the
 * order services beside it. Start as many as you like:
 *
 *   DATABASE_URL=postgres://… AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npx tsx examples/cluster/worker.ts
 *
 * Environment: DATABASE_URL (required), TRANSPORT and its URL (see `transport.ts`), EXCHANGE (default `sagaflow-orders`), WORKER_NAME,
 * WORKER_INDEX and WORKER_COUNT (this worker's ordinal among those that start together: the partitions
 * are spread over them; without them the first worker to start takes every partition),
 * CONCURRENCY (default 32), PARTITIONS (default 8), HEALTH_PORT, OUTBOX_LEASE_MS (default 30 s: how long
 * a committed message is left to this process, and a relay's claim, before another relay takes it over;
 * tests that kill workers shorten it). SIGTERM stops it gracefully.
 */
import { SagaOrchestrator, WorkerHost } from '../../src/index.ts';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import { OrderSaga } from '../order-saga.ts';
import { subscribeOrderServices } from './order-services.ts';
import { clusterTransport } from './transport.ts';

const env = process.env;
const name = env.WORKER_NAME ?? `worker-${process.pid}`;
const outboxLease = env.OUTBOX_LEASE_MS !== undefined ? { leaseMs: Number(env.OUTBOX_LEASE_MS) } : {};

const repository = await createPrismaRepository({ databaseUrl: env.DATABASE_URL, poolSize: 8 });
// Two services on one exchange: the saga's queues and the order services' queues.
const orders = clusterTransport('orders', name);
const services = clusterTransport('order-services', name);
subscribeOrderServices(services);
await services.start(); // bound before the saga sends its first command

const orchestrator = new SagaOrchestrator({
  sagas: [OrderSaga],
  repository,
  bus: orders,
  subscribe: false,
  outbox: outboxLease,
  relay: { pollIntervalMs: 200, ...outboxLease },
  compensationLeaseMs: 5_000,
});
const host = new WorkerHost({
  orchestrator,
  name,
  concurrency: Number(env.CONCURRENCY ?? 32),
  shutdownTimeoutMs: 10_000,
  services: [{ start: () => {}, stop: () => services.close() }],
  ...(env.HEALTH_PORT !== undefined && { health: { port: Number(env.HEALTH_PORT) } }),
});
await host.start();
// Which partitions this worker consumes, each time that changes: where a message waits is then visible.
const consumed = new Map<string, string>();
const partitionLog = setInterval(() => {
  for (const [service, transport] of [['orders', orders], ['order-services', services]] as const) {
    const balance = 'balance' in transport ? transport.balance : undefined;
    const now = JSON.stringify([transport.partitions, balance]);
    if (consumed.get(service) === now) continue;
    consumed.set(service, now);
    console.log(JSON.stringify({ msg: 'partitions', worker: name, service, partitions: transport.partitions, ...(balance && { balance }) }));
  }
}, 500);
partitionLog.unref();
// The host stops itself on SIGTERM; the process ends once everything it opened is closed.
const keepAlive = setInterval(() => {
  if (host.status === 'stopped') {
    clearInterval(keepAlive);
    void repository.close();
  }
}, 100);
