/**
 * The cluster scenario (`scenario.ts`) on the local RabbitMQ: the broker's application is stopped and
 * started with `rabbitmqctl`; the partitions are spread with `share` (single-active-consumer queues).
 */
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';
import { runRabbitMqCluster } from './rabbitmq-cluster.ts';

// The cluster test restarts the broker: broker tests take turns.
holdBrokerForThisFile();

runRabbitMqCluster('RabbitMQ', { REBALANCE: '0' });
