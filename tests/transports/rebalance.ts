/**
 * Partitions that follow the workers, for the transports that balance by themselves (Redis, NATS): under
 * a steady stream of messages, instances of one service join and leave; each time the partitions must
 * settle into an even spread with every partition owned once, no partition may ever be handled by two
 * instances at the same moment, and every message must be handled exactly once (joins and graceful
 * leaves lose nothing and repeat nothing).
 */
import { expect, it } from 'vitest';
import { createEnvelope, type MessageBus } from '../../src/index.ts';
import { partitionOf } from '../../src/partitioning/partition.ts';
import { eventually } from './contract.ts';

export type BalancingTransport = MessageBus & {
  start(): Promise<void>;
  ready(): Promise<void>;
  close(): Promise<void>;
  readonly partitions: number[];
};

export interface RebalanceHarness {
  readonly partitions: number;
  /** A transport of the service `workers` (or publishing only), not started yet. */
  make(consumer: boolean): BalancingTransport;
  cleanup(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runRebalanceScenario(harness: RebalanceHarness): void {
  it('spreads the partitions evenly as instances join and leave under load, never two at once on a partition, each message handled once', async () => {
    const P = harness.partitions;
    const handled = new Map<string, number>();
    const active = new Map<number, string>(); // partition → instance handling a message of it now
    const overlaps: string[] = [];
    const instances = new Map<string, BalancingTransport>();
    const open = async (name: string) => {
      const t = harness.make(true);
      t.subscribe('Tick', async (e) => {
        const p = partitionOf(e.correlationId!, P);
        const other = active.get(p);
        if (other !== undefined && other !== name) overlaps.push(`partition ${p}: ${name} while ${other}`);
        active.set(p, name);
        await sleep(2);
        if (active.get(p) === name) active.delete(p);
        handled.set(e.messageId, (handled.get(e.messageId) ?? 0) + 1);
      });
      await t.start();
      instances.set(name, t);
    };
    const spread = () => [...instances.values()].map((t) => t.partitions);
    const balanced = () => {
      const owned = spread();
      const all = owned.flat().sort((a, b) => a - b);
      const sizes = owned.map((o) => o.length);
      return all.length === P && new Set(all).size === P && Math.max(...sizes) - Math.min(...sizes) <= 1;
    };

    const publisher = harness.make(false);
    await publisher.start();
    // The first instance binds the service before anything is published (earlier messages are nobody's).
    await open('a');
    const published: string[] = [];
    let publishing = true;
    const stream = (async () => {
      for (let i = 0; publishing; i++) {
        const e = createEnvelope('event', 'Tick', { i }, { correlationId: `order-${i % 97}` });
        await publisher.publish(e);
        published.push(e.messageId);
        await sleep(3);
      }
    })();
    try {
      const steps: string[] = [];
      await eventually('a to own every partition', balanced, 20_000);
      steps.push(JSON.stringify(spread()));
      await sleep(500); // messages flow in this spread for a while before the next change
      await open('b');
      await eventually('a and b to split the partitions', balanced, 20_000);
      steps.push(JSON.stringify(spread()));
      await sleep(500); // messages flow in this spread for a while before the next change
      await open('c');
      await eventually('three instances to split the partitions', balanced, 20_000);
      steps.push(JSON.stringify(spread()));
      await sleep(500); // messages flow in this spread for a while before the next change
      expect(spread().map((o) => o.length).sort()).toEqual([Math.floor(P / 3), Math.ceil(P / 3), Math.ceil(P / 3)].sort());
      const b = instances.get('b')!;
      instances.delete('b');
      await b.close(); // graceful: its partitions are drained, then handed over
      await eventually('a and c to take over b’s partitions', balanced, 20_000);
      steps.push(JSON.stringify(spread()));
      await sleep(500); // messages flow in this spread for a while before the next change

      publishing = false;
      await stream;
      await eventually('every published message handled', () => published.every((id) => handled.has(id)), 30_000);
      await sleep(300);
      const twice = [...handled.entries()].filter(([, n]) => n > 1);
      expect(overlaps, steps.join(' → ')).toEqual([]);
      expect(twice).toEqual([]);
      expect(handled.size).toBe(published.length);
      expect(published.length).toBeGreaterThan(100);
    } finally {
      publishing = false;
      await stream.catch(() => {});
      await Promise.all([...instances.values(), publisher].map((t) => t.close()));
      await harness.cleanup();
    }
  }, 120_000);
}
