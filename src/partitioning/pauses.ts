/**
 * @module partitioning/pauses
 * Timers a transport can cut short all at once: a redelivery pause or a retry back-off must not hold up
 * a partition's hand-over or a close.
 */
export class Pauses {
  readonly #wakers = new Set<() => void>();

  /** Resolves after `ms`, or as soon as `wakeAll()` is called. */
  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }

  /** Ends every pause under way now. */
  wakeAll(): void {
    for (const wake of this.#wakers) wake();
  }
}
