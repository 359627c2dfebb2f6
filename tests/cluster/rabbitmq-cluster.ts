/**
 * @module tests/cluster/rabbitmq-cluster
 * The cluster scenario (`scenario.ts`) on the local RabbitMQ, with the partitions spread one way or the
 * other (`workerEnv` picks `share` by ordinal or `rebalance`; see examples/cluster/transport.ts).
 */
import { randomBytes } from 'node:crypto';
import { RabbitMqTransport } from '../../src/rabbitmq/index.ts';
import { deleteTopologyOf, queuesOf, startBroker, stopBroker } from './broker.ts';
import { runClusterScenario } from './scenario.ts';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function runRabbitMqCluster(label: string, spread: Record<string, string>): void {
  const exchange = `sagaflow-cluster-${randomBytes(4).toString('hex')}`;
  runClusterScenario({
    label,
    workerEnv: { TRANSPORT: 'rabbitmq', AMQP_URL, EXCHANGE: exchange, ...spread },
    async publisher(partitions, onError) {
      const publisher = new RabbitMqTransport({ url: AMQP_URL, exchange, partitions, connectionName: `${exchange}/publisher`, onError });
      await publisher.start();
      return publisher;
    },
    stop: stopBroker,
    start: startBroker,
    queued: async () => [...(await queuesOf(`${exchange}.`)).entries()],
    deadLettered: async () => [...(await queuesOf(`${exchange}.`)).entries()].filter(([name, n]) => name.endsWith('.dead') && n > 0),
    cleanup: async () => void (await deleteTopologyOf(exchange, AMQP_URL)),
  });
}
