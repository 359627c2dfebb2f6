/**
 * The transport contract: what every broker transport (RabbitMQ, Redis Streams, NATS JetStream) must do,
 * as one suite that each transport's test file runs with a harness of its own, on the real broker.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEnvelope, TransportError, type Envelope, type MessageBus } from '../../src/index.ts';
import { partitionOf } from '../../src/partitioning/partition.ts';

export type ContractTransport = MessageBus & {
  start(): Promise<void>;
  ready(): Promise<void>;
  close(): Promise<void>;
  readonly connected: boolean;
};

export interface OpenOptions {
  readonly maxDeliveries?: number;
  readonly connectionName?: string;
}

export interface ContractHarness {
  readonly partitions: number;
  /** A started transport; consuming for `service`, or publishing only. Redelivery pauses of 10-20 ms. */
  open(service: string | undefined, options?: OpenOptions): Promise<ContractTransport>;
  /** A transport pointed at a port where no broker listens, that gives up connecting after 300 ms. */
  unreachable(): ContractTransport;
  /** Messages of `service` in `partition` that no consumer has taken. */
  waiting(service: string, partition: number): Promise<number>;
  /** The bodies in the service's dead letters (parsed when JSON). */
  deadLetters(service: string): Promise<unknown[]>;
  /** Puts a message of `type` whose body is not JSON into partition 0 of `service`. */
  injectGarbage(service: string, type: string): Promise<void>;
  /** Closes the connections named `name` from the broker's side; how many it closed. */
  cutConnections(name: string): Promise<number>;
  /** Removes everything the suite created. */
  cleanup(): Promise<void>;
}

export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function envelope(type: string, correlationId: string, payload: unknown = { n: 1 }): Envelope {
  return createEnvelope('event', type, payload, { correlationId });
}

/**
 * @example
 * runTransportContract('RedisTransport', () => harness);
 */
export function runTransportContract(name: string, harness: () => ContractHarness): void {
  const open: ContractTransport[] = [];
  const h = () => harness();
  const transport = async (service: string | undefined, options?: OpenOptions) => {
    const t = await h().open(service, options);
    open.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  afterAll(async () => {
    await h().cleanup();
  });

  describe(`${name} (transport contract)`, () => {
    it('delivers a published envelope unchanged once the broker took it', async () => {
      const t = await transport('roundtrip');
      const got: Envelope[] = [];
      t.subscribe('Ping', (e) => void got.push(e));
      await t.ready();
      const sent = envelope('Ping', 'c-1', { hello: 'world', at: 3, nested: { list: [1, 'two'] } });
      await t.publish(sent);
      await eventually('the delivery', () => got.length === 1);
      expect(got[0]).toEqual(sent);
    });

    it('routes every message of one correlation id to the same partition', async () => {
      const t = await transport('partitions');
      const off = t.subscribe('Routed', () => {});
      await t.ready();
      off(); // bound, and no longer consumed: the messages stay where they were put
      await t.ready();
      const ids = ['order-1', 'order-2', 'order-3', 'order-4', 'order-5', 'order-6'];
      for (const id of ids) for (let i = 0; i < 3; i++) await t.publish(envelope('Routed', id));
      const expected = new Array<number>(h().partitions).fill(0);
      for (const id of ids) expected[partitionOf(id, h().partitions)]! += 3;
      await eventually('every message in its partition', async () => {
        const actual: number[] = [];
        for (let p = 0; p < h().partitions; p++) actual.push(await h().waiting('partitions', p));
        return actual.join() === expected.join();
      });
    });

    it('redelivers a message whose handler failed, and acknowledges it once the handler succeeds', async () => {
      const t = await transport('flaky');
      let calls = 0;
      t.subscribe('Flaky', () => {
        calls++;
        if (calls < 3) throw new Error('the database is down');
      });
      await t.ready();
      await t.publish(envelope('Flaky', 'c-1'));
      await eventually('three deliveries', () => calls === 3);
      await new Promise((r) => setTimeout(r, 200));
      expect(calls).toBe(3);
      expect(await h().deadLetters('flaky')).toEqual([]);
    });

    it('moves a message that keeps failing to the dead letters after maxDeliveries', async () => {
      const t = await transport('poison', { maxDeliveries: 3 });
      let calls = 0;
      t.subscribe('Poison', () => {
        calls++;
        throw new Error('always');
      });
      await t.ready();
      const sent = envelope('Poison', 'c-9');
      await t.publish(sent);
      await eventually('the dead letter', async () => (await h().deadLetters('poison')).length === 1);
      expect(calls).toBe(3);
      expect(await h().deadLetters('poison')).toEqual([sent]);
    });

    it('moves a message whose body is not JSON to the dead letters without calling a handler', async () => {
      const t = await transport('garbage');
      let calls = 0;
      t.subscribe('Garbage', () => void calls++);
      await t.ready();
      await h().injectGarbage('garbage', 'Garbage');
      await eventually('the dead letter', async () => (await h().deadLetters('garbage')).length === 1);
      expect(calls).toBe(0);
    });

    it('stops consuming once nothing is subscribed, and consumes again on the next subscription', async () => {
      const t = await transport('onoff');
      const got: string[] = [];
      const off = t.subscribe('OnOff', (e) => void got.push(e.messageId));
      await t.ready();
      off();
      await t.ready();
      const waiting = envelope('OnOff', 'c-1');
      await t.publish(waiting);
      const partition = partitionOf('c-1', h().partitions);
      await eventually('the message to wait in its partition', async () => (await h().waiting('onoff', partition)) === 1);
      expect(got).toEqual([]);
      t.subscribe('OnOff', (e) => void got.push(e.messageId));
      await eventually('the delivery', () => got.length === 1);
      expect(got).toEqual([waiting.messageId]);
    });

    it('close() waits for the handler in flight, acknowledges its message and consumes nothing more', async () => {
      const t = await transport('closing');
      let finished = 0;
      let started = 0;
      t.subscribe('Slow', async () => {
        started++;
        await new Promise((r) => setTimeout(r, 300));
        finished++;
      });
      await t.ready();
      await t.publish(envelope('Slow', 'c-1'));
      await eventually('the handler to start', () => started === 1);
      await t.close();
      expect(finished).toBe(1);
      const other = await transport(undefined);
      await other.publish(envelope('Slow', 'c-1'));
      const partition = partitionOf('c-1', h().partitions);
      await eventually('the next message to wait', async () => (await h().waiting('closing', partition)) === 1);
      expect(started).toBe(1);
      await expect(t.publish(envelope('Slow', 'c-2'))).rejects.toBeInstanceOf(TransportError);
    });

    it('reconnects after the broker closed its connections and resumes consuming', async () => {
      const connectionName = `contract-reconnect-${process.pid}-${Date.now()}`;
      const t = await transport('reconnect', { connectionName });
      const got: string[] = [];
      t.subscribe('Again', (e) => void got.push(e.messageId));
      await t.ready();
      await t.publish(envelope('Again', 'c-1'));
      await eventually('the first delivery', () => got.length === 1);

      expect(await h().cutConnections(connectionName)).toBeGreaterThan(0);
      // Published right after the cut: waits for the connection (or is retried by it) instead of failing.
      await t.publish(envelope('Again', 'c-2'));
      await eventually('the delivery after reconnecting', () => got.length === 2, 30_000);
      expect(t.connected).toBe(true);
    });

    it('start() and publish() reject with TransportError when the broker cannot be reached', async () => {
      const t = h().unreachable();
      const error = await t.start().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('SAGA_TRANSPORT_UNAVAILABLE');
      await expect(t.publish(envelope('Nowhere', 'c-1'))).rejects.toBeInstanceOf(TransportError);
      await t.close();
    });

    it('refuses to subscribe without a service', async () => {
      const publisher = await transport(undefined);
      expect(() => publisher.subscribe('Ping', () => {})).toThrow(/service/);
    });
  });
}
