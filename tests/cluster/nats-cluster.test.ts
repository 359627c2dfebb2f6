/**
 * The cluster scenario (`scenario.ts`) on NATS JetStream: a nats-server of the test's own (JetStream
 * with a file store in a temporary directory), stopped with SIGTERM and started again mid-run. The
 * partitions spread themselves over the workers (leases in a key-value bucket) and follow them when one
 * is SIGKILLed; its unacknowledged messages come back after `ACK_WAIT_MS`.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsTransport } from '../../src/nats/index.ts';
import { runClusterScenario } from './scenario.ts';
import { freePort, ServerProcess } from './server-process.ts';

const port = await freePort();
const url = `nats://127.0.0.1:${port}`;
const stream = 'sagaflow-cluster';
const server = new ServerProcess('nats-server', port, (dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir]);

/** Messages each durable consumer has not had acknowledged yet (pending and unacknowledged), and the dead letters. */
async function consumers(): Promise<{ queued: [string, number][]; dead: [string, number][] }> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const queued: [string, number][] = [];
    for await (const c of jsm.consumers.list(stream)) queued.push([c.name, c.num_pending + c.num_ack_pending]);
    const dead = await jsm.streams.info(`${stream}-dead`).catch(() => undefined);
    return { queued, dead: dead && dead.state.messages > 0 ? [[`${stream}-dead`, dead.state.messages]] : [] };
  } finally {
    await nc.close();
  }
}

await server.start();

runClusterScenario({
  label: 'NATS JetStream',
  workerEnv: { TRANSPORT: 'nats', NATS_URL: url, EXCHANGE: stream, HEARTBEAT_MS: '300', LEASE_MS: '2000', ACK_WAIT_MS: '4000' },
  async publisher(partitions, onError) {
    const publisher = new NatsTransport({ url, stream, partitions, connectionName: 'publisher', onError });
    await publisher.start();
    return publisher;
  },
  stop: () => server.stop(),
  start: () => server.start(),
  queued: async () => (await consumers()).queued,
  deadLettered: async () => (await consumers()).dead,
  cleanup: () => (process.env.KEEP_BROKER ? Promise.resolve(console.log(`kept ${url} ${server.dir}`)) : server.remove()),
});
