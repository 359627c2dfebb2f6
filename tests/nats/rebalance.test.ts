/**
 * Partitions that follow the workers, on the real NATS JetStream (see tests/transports/rebalance.ts).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe } from 'vitest';
import { bindingsBucket, deadStream, membersBucket, NatsTransport } from '../../src/nats/index.ts';
import { runRebalanceScenario } from '../transports/rebalance.ts';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const stream = `sagaflow-test-h19b-rebalance-${process.pid}-${Date.now().toString(36)}`;

describe('NatsTransport partitions', () => {
  runRebalanceScenario({
    partitions: 8,
    make: (consumer) =>
      new NatsTransport({ url, stream, partitions: 8, heartbeatMs: 100, leaseMs: 1_000, onError: () => {}, ...(consumer && { service: 'workers' }) }),
    async cleanup() {
      const nc = await connect({ servers: url });
      const jsm = await jetstreamManager(nc);
      const names = { stream, service: 'workers', partitions: 8 };
      for (const name of [stream, deadStream(names), `KV_${bindingsBucket(names)}`, `KV_${membersBucket(names)}`]) await jsm.streams.delete(name).catch(() => {});
      await nc.close();
    },
  });
});
