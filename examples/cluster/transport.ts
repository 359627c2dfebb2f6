/**
 * The cluster worker's broker, chosen by `TRANSPORT`: `rabbitmq` (default, `AMQP_URL`), `redis`
 * (`REDIS_URL`) or `nats` (`NATS_URL`). `EXCHANGE` names the exchange, key prefix or stream; `PARTITIONS`
 * must match the publishers'. RabbitMQ spreads partitions with `WORKER_INDEX`/`WORKER_COUNT`, or, with
 * `REBALANCE=1`, over the live workers as Redis and NATS always do (`HEARTBEAT_MS`); Redis and
 * NATS spread them over the live workers by themselves (`HEARTBEAT_MS`, `LEASE_MS` tune how fast;
 * `ACK_WAIT_MS` is how long NATS leaves a dead worker's messages unacknowledged before redelivering).
 */
import { NatsTransport } from '../../src/nats/index.ts';
import { RabbitMqTransport } from '../../src/rabbitmq/index.ts';
import { RedisTransport } from '../../src/redis/index.ts';

export type ClusterTransport = RabbitMqTransport | RedisTransport | NatsTransport;

export function clusterTransport(service: string, name: string, env: NodeJS.ProcessEnv = process.env): ClusterTransport {
  const exchange = env.EXCHANGE ?? 'sagaflow-orders';
  const partitions = Number(env.PARTITIONS ?? 8);
  const connectionName = `${name}/${service}`;
  const membership = {
    ...(env.HEARTBEAT_MS !== undefined && { heartbeatMs: Number(env.HEARTBEAT_MS) }),
    ...(env.LEASE_MS !== undefined && { leaseMs: Number(env.LEASE_MS) }),
  };
  switch (env.TRANSPORT ?? 'rabbitmq') {
    case 'redis':
      return new RedisTransport({ url: env.REDIS_URL, prefix: exchange, partitions, service, connectionName, prefetch: 32, ...membership });
    case 'nats': {
      const ackWait = env.ACK_WAIT_MS !== undefined ? { ackWaitMs: Number(env.ACK_WAIT_MS) } : {};
      return new NatsTransport({ url: env.NATS_URL, stream: exchange, partitions, service, connectionName, prefetch: 32, ...membership, ...ackWait });
    }
    case 'rabbitmq': {
      const share =
        env.REBALANCE === '1'
          ? { rebalance: { ...(env.HEARTBEAT_MS !== undefined && { heartbeatMs: Number(env.HEARTBEAT_MS) }) } }
          : env.WORKER_INDEX !== undefined && env.WORKER_COUNT !== undefined
            ? { share: { index: Number(env.WORKER_INDEX), of: Number(env.WORKER_COUNT) } }
            : {};
      return new RabbitMqTransport({ url: env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672', exchange, partitions, service, connectionName, prefetch: 32, ...share });
    }
    default:
      throw new TypeError(`TRANSPORT must be rabbitmq, redis or nats, got '${env.TRANSPORT}'`);
  }
}
