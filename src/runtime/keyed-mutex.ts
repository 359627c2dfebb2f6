/**
 * @module runtime/keyed-mutex
 * Runs tasks with the same key one after another, tasks with different keys concurrently. The
 * orchestrator keys by saga instance so that events for one instance in one process never race each
 * other for a version (the version check still protects against other processes).
 */
const noop = () => {};

export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const result = previous ? previous.then(task) : task();
    const tail = result.then(noop, noop);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
