/**
 * The transport contract on the real RabbitMQ of this machine (AMQP_URL, default guest@127.0.0.1:5672).
 */
import { beforeAll } from 'vitest';
import { deadLetterQueue, partitionQueue, RabbitMqTransport } from '../../src/rabbitmq/index.ts';
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';
import { runTransportContract, type ContractHarness } from '../transports/contract.ts';
import { admin, AMQP_URL, deleteTopology, depth, killConnections, uniqueExchange, type Admin } from './helpers.ts';

// The cluster test restarts the broker: broker tests take turns.
holdBrokerForThisFile();

const exchange = uniqueExchange('contract');
const PARTITIONS = 4;
const services = new Set<string>();
let inspect: Admin | undefined;
beforeAll(async () => {
  inspect = await admin();
});

const names = (service: string) => ({ exchange, service, partitions: PARTITIONS });

const harness: ContractHarness = {
  partitions: PARTITIONS,
  async open(service, options = {}) {
    if (service !== undefined) services.add(service);
    const t = new RabbitMqTransport({
      url: AMQP_URL,
      exchange,
      partitions: PARTITIONS,
      redelivery: { initialDelayMs: 10, maxDelayMs: 20 },
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      onError: () => {},
      ...(service !== undefined && { service }),
      ...options,
    });
    await t.start();
    return t;
  },
  unreachable: () => new RabbitMqTransport({ url: 'amqp://guest:guest@127.0.0.1:1', exchange, connectTimeoutMs: 300, onError: () => {} }),
  waiting: (service, partition) => depth(inspect!.channel, partitionQueue(names(service), partition)),
  async deadLetters(service) {
    const bodies: unknown[] = [];
    // Read without taking: every message is returned to the queue when the channel closes.
    const channel = await inspect!.model.createChannel();
    for (let m = await channel.get(deadLetterQueue(names(service))); m !== false; m = await channel.get(deadLetterQueue(names(service)))) {
      const text = m.content.toString('utf8');
      try {
        bodies.push(JSON.parse(text));
      } catch {
        bodies.push(text);
      }
    }
    await channel.close();
    return bodies;
  },
  async injectGarbage(_service, type) {
    inspect!.channel.publish(exchange, `0.${type}`, Buffer.from('{not json'), { type });
  },
  cutConnections: (name) => killConnections(name),
  async cleanup() {
    await inspect?.close();
    await deleteTopology(exchange, [...services], PARTITIONS);
  },
};

runTransportContract('RabbitMqTransport', () => harness);
