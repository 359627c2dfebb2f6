/**
 * Partitions that follow the workers, on the real Redis (see tests/transports/rebalance.ts).
 */
import { Redis } from 'ioredis';
import { describe } from 'vitest';
import { RedisTransport } from '../../src/redis/index.ts';
import { runRebalanceScenario } from '../transports/rebalance.ts';
import { deleteKeys, REDIS_URL, uniquePrefix } from './helpers.ts';

const prefix = uniquePrefix('rebalance');

describe('RedisTransport partitions', () => {
  runRebalanceScenario({
    partitions: 8,
    make: (consumer) =>
      new RedisTransport({ url: REDIS_URL, prefix, partitions: 8, heartbeatMs: 100, leaseMs: 1_000, onError: () => {}, ...(consumer && { service: 'workers' }) }),
    async cleanup() {
      const admin = new Redis(REDIS_URL);
      await deleteKeys(admin, prefix);
      await admin.quit();
    },
  });
});
