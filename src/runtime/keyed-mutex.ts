/**
 * @module runtime/keyed-mutex
 * Runs tasks with the same key one after another, tasks with different keys concurrently. The
 * orchestrator keys by saga instance so that events for one instance in one process never race each
 * other for a version (the version check still protects against other processes).
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    // The next task starts once this one settles, whether it succeeded or not.
    const result = previous ? previous.then(task, task) : task();
    this.#tails.set(key, result);
    const release = () => {
      if (this.#tails.get(key) === result) this.#tails.delete(key);
    };
    result.then(release, release);
    return result;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
