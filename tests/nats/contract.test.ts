/**
 * The transport contract on the real NATS JetStream of this machine (NATS_URL, default 127.0.0.1:4222).
 * Connections are cut through a TCP proxy in front of the server.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { bindingsBucket, consumerName, deadStream, membersBucket, NatsTransport, subjectOf } from '../../src/nats/index.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { runTransportContract, type ContractHarness } from '../transports/contract.ts';

const NATS_PORT = Number(new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222').port || 4222);
const stream = `sagaflow-test-h19b-${process.pid}-${Date.now().toString(36)}`;
const PARTITIONS = 4;
const services = new Set<string>();
let nc: NatsConnection;
let jsm: JetStreamManager;
const proxies = new Map<string, TcpProxy>();

beforeAll(async () => {
  nc = await connect({ servers: `127.0.0.1:${NATS_PORT}` });
  jsm = await jetstreamManager(nc);
});
afterAll(async () => {
  await nc.close();
});

const names = (service: string) => ({ stream, service, partitions: PARTITIONS });

const harness: ContractHarness = {
  partitions: PARTITIONS,
  async open(service, options = {}) {
    if (service !== undefined) services.add(service);
    let url = `nats://127.0.0.1:${NATS_PORT}`;
    if (options.connectionName !== undefined) {
      const proxy = await TcpProxy.start(NATS_PORT);
      proxies.set(options.connectionName, proxy);
      url = `nats://127.0.0.1:${proxy.port}`;
    }
    const t = new NatsTransport({
      url,
      stream,
      partitions: PARTITIONS,
      redelivery: { initialDelayMs: 10, maxDelayMs: 20 },
      heartbeatMs: 100,
      leaseMs: 1_000,
      ackWaitMs: 5_000,
      onError: process.env.DEBUG_TRANSPORT ? (e) => console.error(new Date().toISOString(), String(e).slice(0, 300)) : () => {},
      ...(service !== undefined && { service }),
      ...options,
    });
    await t.start();
    return t;
  },
  unreachable: () => new NatsTransport({ url: 'nats://127.0.0.1:1', stream, connectTimeoutMs: 300, onError: () => {} }),
  waiting: async (service, partition) => (await jsm.consumers.info(stream, consumerName(names(service), partition))).num_pending,
  async deadLetters(service) {
    const bodies: unknown[] = [];
    const info = await jsm.streams.info(deadStream(names(service))).catch(() => undefined);
    if (!info) return bodies;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(deadStream(names(service)), { seq }).catch(() => null);
      if (!m || !m.subject.endsWith(`.${service}`)) continue;
      try {
        bodies.push(JSON.parse(m.string()));
      } catch {
        bodies.push(m.string());
      }
    }
    return bodies;
  },
  async injectGarbage(_service, type) {
    const h = headers();
    h.set('Sagaflow-Type', type);
    nc.publish(subjectOf({ stream, service: undefined, partitions: PARTITIONS }, 0, type), '{not json', { headers: h });
    await nc.flush();
  },
  async cutConnections(name) {
    return proxies.get(name)?.cut() ?? 0;
  },
  async cleanup() {
    for (const proxy of proxies.values()) await proxy.close();
    await jsm.streams.delete(stream).catch(() => {});
    await jsm.streams.delete(deadStream(names('x'))).catch(() => {});
    await jsm.streams.delete(`KV_${bindingsBucket(names('x'))}`).catch(() => {});
    for (const service of services) await jsm.streams.delete(`KV_${membersBucket(names(service))}`).catch(() => {});
  },
};

runTransportContract('NatsTransport', () => harness);
