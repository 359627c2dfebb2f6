/**
 * @module runtime/store-outage
 *
 * Whether the store is reachable, as this process last saw it: down from the first write that failed
 * because the server was unreachable (`TransientStoreError.unavailable`), up again at the first write
 * that succeeded after it. The transitions are reported once each — one line when an outage begins,
 * one when it ends — however many writes failed in between; `WorkerHost` answers not ready while down.
 * A serialization failure or a deadlock is not an outage and changes nothing.
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

  constructor(listener: OutageListener = {}, now: () => number = Date.now) {
    this.#listener = listener;
    this.#now = now;
  }

  /** True between an unreachable store's first failure and the next success. */
  get down(): boolean {
    return this.#since !== undefined;
  }

  /** A write failed transiently: an outage begins if the server was unreachable and none is known. */
  failed(error: TransientStoreError): void {
    if (this.#since !== undefined || !error.unavailable) return;
    this.#since = this.#now();
    this.#listener.down?.(error);
  }

  /** A write succeeded: an outage in progress is over. */
  recovered(): void {
    if (this.#since === undefined) return;
    const downMs = this.#now() - this.#since;
    this.#since = undefined;
    this.#listener.up?.(downMs);
  }
}
