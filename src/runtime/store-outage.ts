/**
 * @module runtime/store-outage
 *
 * Whether the store is reachable, as this process last saw it: down from the first write that failed
 * because the server was unreachable (`TransientStoreError.unavailable`), up again at the first write
 * that succeeded after it. The transitions are reported once each — one line when an outage begins,
 * one when it ends — however many writes failed in between; `WorkerHost` answers not ready while down.
 * A serialization failure or a deadlock is not an outage and changes nothing.
 *
 * Only an attempt begun in the current period (read `period` when it starts) changes the state. Writes
 * overlap: one begun before the outage can land after another has failed, and one begun during it can
 * fail after another has landed. Counted as they arrive, such stragglers split one outage into two.
 */
import type { TransientStoreError } from '../errors/transient-store-error.ts';

export interface OutageListener {
  /** The first failure of an outage. */
  down?(error: TransientStoreError): void;
  /** The first success after it; `downMs` since the first failure. */
  up?(downMs: number): void;
}

/**
 * @example
 * const outage = new StoreOutage({ down: (e) => log.warn('store unavailable', e), up: (ms) => log.info(`back after ${ms} ms`) });
 * outage.failed(error); outage.down; // true
 * outage.recovered();   outage.down; // false
 */
export class StoreOutage {
  readonly #listener: OutageListener;
  readonly #now: () => number;
  #since: number | undefined;
  /** Incremented at each change, down or up. */
  #period = 0;

  constructor(listener: OutageListener = {}, now: () => number = Date.now) {
    this.#listener = listener;
    this.#now = now;
  }

  /** True between an unreachable store's first failure and the next success. */
  get down(): boolean {
    return this.#since !== undefined;
  }

  /** The current period, to read as an attempt begins and pass to `failed` or `recovered` with its result. */
  get period(): number {
    return this.#period;
  }

  /** A write failed transiently: an outage begins if the server was unreachable and none is known. */
  failed(error: TransientStoreError, begunIn = this.#period): void {
    if (this.#since !== undefined || !error.unavailable || begunIn !== this.#period) return;
    this.#since = this.#now();
    this.#period++;
    this.#listener.down?.(error);
  }

  /** A write succeeded: an outage in progress is over, if the write began during it. */
  recovered(begunIn = this.#period): void {
    if (this.#since === undefined || begunIn !== this.#period) return;
    const downMs = this.#now() - this.#since;
    this.#since = undefined;
    this.#period++;
    this.#listener.up?.(downMs);
  }
}
