/**
 * The "retry a durable write until it lands or the process stops" helper and the outage tracker: the
 * backoff is capped and jittered, only transient store errors are retried, a stop ends the loop, and
 * an outage is reported once each way however many writes failed.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrencyError, TransientStoreError } from '../../../src/index.ts';
import { DEFAULT_DURABLE_RETRY, durableDelay, durably } from '../../../src/runtime/durable-write.ts';
import { StoreOutage } from '../../../src/runtime/store-outage.ts';

const down = () => new TransientStoreError('57P01', new Error('terminating connection due to administrator command'));
const fast = { initialDelayMs: 1, maxDelayMs: 4 };

/** A write that fails `failures` times with `error()`, then answers `value`. */
function flaky<T>(failures: number, value: T, error: () => unknown = down) {
  const calls = { n: 0 };
  const write = async () => {
    calls.n++;
    if (calls.n <= failures) throw error();
    return value;
  };
  return { write, calls };
}

describe('durable writes', () => {
  it('waits a random half to all of a doubling delay, capped', () => {
    expect(durableDelay(DEFAULT_DURABLE_RETRY, 1, () => 0)).toBe(25);
    expect(durableDelay(DEFAULT_DURABLE_RETRY, 1, () => 1)).toBe(50);
    expect(durableDelay(DEFAULT_DURABLE_RETRY, 3, () => 1)).toBe(200);
    expect(durableDelay(DEFAULT_DURABLE_RETRY, 10, () => 0)).toBe(1_000);
    expect(durableDelay(DEFAULT_DURABLE_RETRY, 10, () => 1)).toBe(2_000);
    expect(durableDelay(DEFAULT_DURABLE_RETRY, 10_000, () => 1)).toBe(2_000);
  });

  it('sends the same write again after each transient failure until it lands, past any fixed budget', async () => {
    const { write, calls } = flaky(40, 'landed');
    await expect(durably(write, { policy: fast })).resolves.toBe('landed');
    expect(calls.n).toBe(41);
  });

  it('writes once when the first try lands', async () => {
    const { write, calls } = flaky(0, 7);
    await expect(durably(write)).resolves.toBe(7);
    expect(calls.n).toBe(1);
  });

  it('does not retry what is not the store passing: a conflict is thrown at once', async () => {
    const { write, calls } = flaky(5, 'never', () => new ConcurrencyError('s', 'c', 1));
    await expect(durably(write, { policy: fast })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(calls.n).toBe(1);
  });

  it('gives up with the last error when the process stops', async () => {
    const stop = new AbortController();
    const { write, calls } = flaky(Infinity, 'never');
    const pending = durably(write, { signal: stop.signal, policy: { initialDelayMs: 20, maxDelayMs: 20 } });
    setTimeout(() => stop.abort(), 70);
    await expect(pending).rejects.toBeInstanceOf(TransientStoreError);
    expect(calls.n).toBeGreaterThanOrEqual(2);
    expect(calls.n).toBeLessThan(10);
  });

  it('reports an outage once when it begins and once when it ends, however many writes failed', async () => {
    const events: string[] = [];
    const outage = new StoreOutage({ down: (e) => events.push(`down ${e.reason}`), up: () => events.push('up') });
    const writes = Array.from({ length: 10 }, () => flaky(3, 1));
    await Promise.all(writes.map((w) => durably(w.write, { outage, policy: fast })));
    expect(events).toEqual(['down 57P01', 'up']);
    expect(outage.down).toBe(false);
  });

  it('lets only a write begun in the current period end an outage or start one', () => {
    const events: string[] = [];
    const outage = new StoreOutage({ down: () => events.push('down'), up: () => events.push('up') });
    const before = outage.period; // a write sent while the store was up
    outage.failed(down(), outage.period); // another fails: the outage begins
    outage.recovered(before); // the first lands now, but it was sent before: it says nothing of now
    expect(outage.down).toBe(true);
    const during = outage.period; // sent during the outage
    const retry = outage.period;
    outage.recovered(retry); // a retry lands: the outage is over
    outage.failed(down(), during); // one sent during it fails late: not a new outage
    expect(outage.down).toBe(false);
    outage.failed(down(), outage.period); // a write sent now fails: a new outage
    expect(events).toEqual(['down', 'up', 'down']);
  });

  it('reports one outage when overlapping durable writes land and fail out of order', async () => {
    const events: string[] = [];
    const outage = new StoreOutage({ down: () => events.push('down'), up: () => events.push('up') });
    // Write a's first try is slow and fails only after write b's retry has landed.
    let failA!: (error: unknown) => void;
    let triesA = 0;
    const a = durably(
      () => (++triesA === 1 ? new Promise<number>((_, reject) => (failA = reject)) : Promise.resolve(1)),
      { outage, policy: fast },
    );
    const b = flaky(1, 2);
    expect(await durably(b.write, { outage, policy: fast })).toBe(2);
    expect(events).toEqual(['down', 'up']);
    failA(down());
    expect(await a).toBe(1);
    expect(events).toEqual(['down', 'up']);
  });

  it('does not count a serialization failure or a deadlock as an outage', () => {
    const events: string[] = [];
    const outage = new StoreOutage({ down: () => events.push('down') });
    outage.failed(new TransientStoreError('40001', new Error('could not serialize access')));
    outage.failed(new TransientStoreError('40P01', new Error('deadlock detected')));
    expect(outage.down).toBe(false);
    outage.failed(new TransientStoreError(undefined, new Error('Connection terminated unexpectedly')));
    expect(outage.down).toBe(true);
    expect(events).toEqual(['down']);
  });
});
