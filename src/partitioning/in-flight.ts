/**
 * @module partitioning/in-flight
 * The messages a transport is handling, by partition: how many (against the prefetch), and a way to wait
 * until one partition's are all settled (the hand-over) or until any slot frees up (the read loop).
 */
export class InFlight {
  readonly #byPartition = new Map<number, Set<Promise<void>>>();
  #wake: (() => void) | undefined;

  count(partition: number): number {
    return this.#byPartition.get(partition)?.size ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const set of this.#byPartition.values()) n += set.size;
    return n;
  }

  /** Tracks `work` (which must not reject) until it settles. */
  track(partition: number, work: Promise<void>): void {
    let set = this.#byPartition.get(partition);
    if (!set) this.#byPartition.set(partition, (set = new Set()));
    const tracked: Promise<void> = work.finally(() => {
      set.delete(tracked);
      this.notify();
    });
    set.add(tracked);
  }

  /** Resolves once every message of `partition` in flight now, and any added meanwhile, is settled. */
  async drain(partition: number): Promise<void> {
    for (let set = this.#byPartition.get(partition); set && set.size > 0; set = this.#byPartition.get(partition)) await Promise.allSettled([...set]);
  }

  async drainAll(): Promise<void> {
    while (this.total > 0) await Promise.allSettled([...this.#byPartition.values()].flatMap((s) => [...s]));
  }

  /** Resolves when something settles or `notify()` is called, or after `ms` at the latest. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const previous = this.#wake;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        previous?.();
        done();
      };
    });
  }

  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
