/**
 * The transport contract on the real Redis of this machine (REDIS_URL, default 127.0.0.1:6379).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { deadLetterStream, partitionStream, RedisTransport } from '../../src/redis/index.ts';
import { runTransportContract, type ContractHarness } from '../transports/contract.ts';
import { deleteKeys, killClients, REDIS_URL, uniquePrefix } from './helpers.ts';

const prefix = uniquePrefix('contract');
const PARTITIONS = 4;
let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL);
});
afterAll(async () => {
  await admin.quit();
});

const names = (service: string) => ({ prefix, service, partitions: PARTITIONS });

const harness: ContractHarness = {
  partitions: PARTITIONS,
  async open(service, options = {}) {
    const t = new RedisTransport({
      url: REDIS_URL,
      prefix,
      partitions: PARTITIONS,
      redelivery: { initialDelayMs: 10, maxDelayMs: 20 },
      heartbeatMs: 100,
      leaseMs: 1_000,
      onError: () => {},
      ...(service !== undefined && { service }),
      ...options,
    });
    await t.start();
    return t;
  },
  unreachable: () => new RedisTransport({ url: 'redis://127.0.0.1:1', prefix, connectTimeoutMs: 300, onError: () => {} }),
  waiting: async (service, partition) => admin.xlen(partitionStream(names(service), partition)),
  async deadLetters(service) {
    const entries = (await admin.xrange(deadLetterStream(names(service)), '-', '+')) as [string, string[]][];
    return entries.map(([, fields]) => {
      const body = fields[fields.indexOf('body') + 1]!;
      try {
        return JSON.parse(body) as unknown;
      } catch {
        return body;
      }
    });
  },
  async injectGarbage(service, type) {
    await admin.xadd(partitionStream(names(service), 0), '*', 'type', type, 'id', 'garbage-1', 'body', '{not json');
  },
  cutConnections: (name) => killClients(admin, name),
  async cleanup() {
    await deleteKeys(admin, prefix);
  },
};

runTransportContract('RedisTransport', () => harness);
