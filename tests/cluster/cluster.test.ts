/**
 * The cluster scenario (`scenario.ts`) on the local RabbitMQ: the broker's application is stopped and
 * started with `rabbitmqctl`; the partitions are spread with `share` (single-active-consumer queues).
 */
import { randomBytes } from 'node:crypto';
import { RabbitMqTransport } from '../../src/rabbitmq/index.ts';
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';
import { deleteTopologyOf, queuesOf, startBroker, stopBroker } from './broker.ts';
import { runClusterScenario } from './scenario.ts';

// The cluster test restarts the broker: broker tests take turns.
holdBrokerForThisFile();

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const exchange = `sagaflow-cluster-${randomBytes(4).toString('hex')}`;

runClusterScenario({
  label: 'RabbitMQ',
  workerEnv: { TRANSPORT: 'rabbitmq', AMQP_URL, EXCHANGE: exchange },
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
