/**
 * The hand-over protocol over an in-memory lease store: a partition is started by a member only after
 * the previous holder stopped it (drained) and released it.
 */
import { describe, expect, it } from 'vitest';
import { PartitionCoordinator, type LeaseStore } from '../../src/partitioning/coordinator.ts';

class MemoryLeases {
  readonly alive = new Set<string>();
  readonly owners = new Map<number, string>();
  store(member: string): LeaseStore {
    return {
      heartbeat: async () => (this.alive.add(member), [...this.alive]),
      acquire: async (p) => {
        const owner = this.owners.get(p);
        if (owner !== undefined && owner !== member) return false;
        this.owners.set(p, member);
        return true;
      },
      renew: async (p) => this.owners.get(p) === member,
      release: async (p) => void (this.owners.get(p) === member && this.owners.delete(p)),
      leave: async () => void this.alive.delete(member),
    };
  }
}

describe('PartitionCoordinator', () => {
  it('hands a partition to a joining member only after the holder drained and released it', async () => {
    const leases = new MemoryLeases();
    const reading = new Map<number, string>();
    const events: string[] = [];
    const consumer = (member: string) => ({
      start: async (p: number) => {
        const other = reading.get(p);
        if (other !== undefined) events.push(`OVERLAP ${p}: ${member} started while ${other} reads`);
        reading.set(p, member);
      },
      stop: async (p: number) => {
        await new Promise((r) => setTimeout(r, 5)); // draining takes a while
        expect(leases.owners.get(p)).toBe(member); // still held while draining
        reading.delete(p);
        events.push(`${member} stopped ${p}`);
      },
    });
    const make = (member: string) =>
      new PartitionCoordinator({ member, partitions: 6, store: leases.store(member), consumer: consumer(member), heartbeatMs: 1_000, leaseMs: 10_000, onError: (e) => events.push(String(e)) });
    const a = make('a');
    await a.start();
    expect(a.owned).toEqual([0, 1, 2, 3, 4, 5]);
    const b = make('b');
    await b.start(); // b wants half, but a still holds it
    expect(b.owned).toEqual([]);
    await a.tick(); // a sees b, drains and releases b's half
    await b.tick(); // b takes it
    expect(a.owned.length).toBe(3);
    expect(b.owned.length).toBe(3);
    expect(new Set([...a.owned, ...b.owned]).size).toBe(6);
    await b.close();
    await a.tick();
    expect(a.owned).toEqual([0, 1, 2, 3, 4, 5]);
    await a.close();
    expect(events.filter((e) => e.startsWith('OVERLAP') || e.includes('Error'))).toEqual([]);
    expect(leases.owners.size).toBe(0);
    expect(leases.alive.size).toBe(0);
  });

  it('refuses a lease shorter than two beats', () => {
    const store = new MemoryLeases().store('a');
    const consumer = { start: async () => {}, stop: async () => {} };
    expect(() => new PartitionCoordinator({ member: 'a', partitions: 2, store, consumer, heartbeatMs: 1_000, leaseMs: 1_500, onError: () => {} })).toThrow(RangeError);
  });
});
