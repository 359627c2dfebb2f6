/**
 * @module runtime/durable-write
 *
 * Writes that nobody sends again: a command's claim and outcome, a compensation step's pop, a relay's
 * "sent" marks, a dead letter, a lease renewal. A broker redelivers a message whose handling failed; it
 * does not redeliver these, so a write of this kind that fails with a `TransientStoreError` (the
 * connection dropped, the server is restarting) is retried here until it lands or the process stops —
 * not a fixed number of times, since an outage lasts as long as it lasts.
 *
 * Two halves: `durableDelay` (pure: how long to wait before retry n) and `durably` (the loop, which
 * engages only after a failure: a write that succeeds costs one `.then`).
 */
import { TransientStoreError } from '../errors/transient-store-error.ts';
import type { StoreOutage } from './store-outage.ts';

export interface DurableRetryPolicy {
  /** Upper bound of the first delay, in ms. Default 50. */
  readonly initialDelayMs: number;
  /** No delay is longer, in ms. Default 2 000: a worker notices within ~2 s that the store is back. */
  readonly maxDelayMs: number;
}

export const DEFAULT_DURABLE_RETRY: DurableRetryPolicy = Object.freeze({ initialDelayMs: 50, maxDelayMs: 2_000 });

/**
 * The delay before retry `retry` (1-based): doubling from `initialDelayMs` up to `maxDelayMs`, of which
 * a random half, so writers that failed together do not all come back in the same millisecond.
 *
 * @example
 * durableDelay(DEFAULT_DURABLE_RETRY, 1); // 25…50
 * durableDelay(DEFAULT_DURABLE_RETRY, 10); // 1000…2000
 */
export function durableDelay(policy: DurableRetryPolicy, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(30, Math.max(0, retry - 1)));
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export interface DurableWriteOptions {
  /** Aborted when the process stops: the loop gives up and throws the write's last error. */
  readonly signal?: AbortSignal | undefined;
  /** Hears of each failure and of the success that ends them (health, one log line per outage). */
  readonly outage?: StoreOutage | undefined;
  readonly policy?: DurableRetryPolicy;
}

/**
 * `write()`, sent again after each `TransientStoreError` (with `durableDelay` between) until it
 * resolves; any other error, or an aborted `signal`, ends it with that error. Send the very same write
 * each time: whether a failed one applied is unknown, so it must be safe to apply twice (conditional,
 * or recognisable as its own on the second try).
 *
 * @example
 * const finished = await durably(() => repository.finishCommand(outcome), { signal: stopping.signal });
 */
export function durably<T>(write: () => Promise<T>, options: DurableWriteOptions = {}): Promise<T> {
  const period = options.outage?.period;
  return write().then(undefined, (error: unknown) => retrying(write, error, period, options));
}

async function retrying<T>(write: () => Promise<T>, first: unknown, begunIn: number | undefined, options: DurableWriteOptions): Promise<T> {
  const policy = options.policy ?? DEFAULT_DURABLE_RETRY;
  let error = first;
  let period = begunIn;
  for (let retry = 1; ; retry++) {
    if (!(error instanceof TransientStoreError) || options.signal?.aborted) throw error;
    options.outage?.failed(error, period);
    if (!(await pause(durableDelay(policy, retry), options.signal))) throw error;
    period = options.outage?.period;
    try {
      const result = await write();
      options.outage?.recovered(period);
      return result;
    } catch (next) {
      error = next;
    }
  }
}

/** Waits `ms`; false when `signal` aborted first (or already had). */
export function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (landed: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      resolve(landed);
    };
    const stop = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', stop, { once: true });
  });
}
