/**
 * The cluster scenario (`scenario.ts`) on the local RabbitMQ with `rebalance`: the workers spread the
 * partitions over the live ones through heartbeats and a lock per partition, so the SIGKILL and the
 * broker restart also test that the locks go with the connections that held them.
 */
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';
import { runRabbitMqCluster } from './rabbitmq-cluster.ts';

// The cluster test restarts the broker: broker tests take turns.
holdBrokerForThisFile();

runRabbitMqCluster('RabbitMQ with rebalance', { REBALANCE: '1' });
