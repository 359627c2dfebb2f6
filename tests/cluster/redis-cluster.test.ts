/**
 * The cluster scenario (`scenario.ts`) on Redis Streams: a redis-server of the test's own, persisting
 * every write (`appendfsync always`), stopped with SIGTERM and started again mid-run. The partitions
 * spread themselves over the workers (leases in Redis) and follow them when one is SIGKILLed.
 */
import { Redis } from 'ioredis';
import { RedisTransport } from '../../src/redis/index.ts';
import { runClusterScenario } from './scenario.ts';
import { freePort, ServerProcess } from './server-process.ts';

const port = await freePort();
const url = `redis://127.0.0.1:${port}`;
const prefix = 'sagaflow-cluster';
const server = new ServerProcess('redis-server', port, (dir) => [
  '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--logfile', '',
]);

/** Stream lengths under the prefix (an entry stays until acknowledged, so this is what is left to handle). */
async function streams(): Promise<[string, number][]> {
  const admin = new Redis(url, { protocol: 2 });
  try {
    const keys = await admin.keys(`{${prefix}}:*`);
    const found: [string, number][] = [];
    for (const key of keys.sort()) if ((await admin.type(key)) === 'stream') found.push([key, await admin.xlen(key)]);
    return found;
  } finally {
    admin.disconnect();
  }
}

await server.start();

runClusterScenario({
  label: 'Redis Streams',
  workerEnv: { TRANSPORT: 'redis', REDIS_URL: url, EXCHANGE: prefix, HEARTBEAT_MS: '300', LEASE_MS: '2000' },
  async publisher(partitions, onError) {
    const publisher = new RedisTransport({ url, prefix, partitions, connectionName: 'publisher', onError });
    await publisher.start();
    return publisher;
  },
  stop: () => server.stop(),
  start: () => server.start(),
  queued: async () => (await streams()).filter(([name]) => !name.endsWith(':dead')),
  deadLettered: async () => (await streams()).filter(([name, n]) => name.endsWith(':dead') && n > 0),
  cleanup: () => server.remove(),
});
