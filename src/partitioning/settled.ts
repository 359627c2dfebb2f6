/**
 * @module partitioning/settled
 * Waiting on a chain of work that may grow while it is awaited (each transport serialises its
 * reconciles on one promise, `#sync`, and appends to it from timers and subscriptions).
 */

/**
 * Resolves once the promise `current()` returns has settled and no newer one replaced it meanwhile;
 * rejects as that promise does.
 *
 * @example
 * ready(): Promise<void> { return settledChain(() => this.#sync); }
 */
export async function settledChain(current: () => Promise<unknown>): Promise<void> {
  let awaited: Promise<unknown>;
  do {
    awaited = current();
    await awaited;
  } while (awaited !== current());
}
