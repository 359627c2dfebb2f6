/**
 * The transport contract on the real RabbitMQ of this machine (AMQP_URL, default guest@127.0.0.1:5672).
 */
import { afterAll, beforeAll } from 'vitest';
import { deadLetterQueue, partitionQueue, RabbitMqTransport, type RabbitMqTransportOptions } from '../../src/rabbitmq/index.ts';
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';
import { runTransportContract, type ContractHarness } from '../transports/contract.ts';
import { admin, AMQP_URL, deleteTopology, depth, killConnections, uniqueExchange, type Admin } from './helpers.ts';

// The cluster test restarts the broker: broker tests take turns.
holdBrokerForThisFile();

const PARTITIONS = 4;
let inspect: Admin | undefined;
beforeAll(async () => {
  inspect = await admin();
});
afterAll(async () => {
  await inspect?.close();
});

/** The contract over its own exchange; `rebalance` adds the option to every consuming transport. */
function harnessFor(label: string, rebalance: RabbitMqTransportOptions['rebalance']): ContractHarness {
  const exchange = uniqueExchange(label);
  const services = new Set<string>();
  const names = (service: string) => ({ exchange, service, partitions: PARTITIONS });
  return {
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
        ...(service !== undefined && { service, ...(rebalance !== undefined && { rebalance }) }),
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
      await deleteTopology(exchange, [...services], PARTITIONS);
    },
  };
}

const plain = harnessFor('contract', undefined);
runTransportContract('RabbitMqTransport', () => plain);
// Everything above holds as well when the instances balance the partitions themselves.
const balancing = harnessFor('h19c-contract-rebalance', { heartbeatMs: 100, memberTtlMs: 1_000 });
runTransportContract('RabbitMqTransport with rebalance', () => balancing);
