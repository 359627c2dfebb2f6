/**
 * @module runtime/contended
 * The instances that met a version conflict in this process within the last second. The orchestrator
 * sends their next events straight to the locked path (`SagaRepository.lockInstance`) instead of first
 * trying an optimistic write that would only collide again: under sustained contention each event then
 * costs one locked attempt, not a failed attempt plus a locked one. An instance leaves the set a second
 * after its last conflict, so a burst does not slow the instance down after it is over.
 */

/** How long after its last conflict an instance counts as contended. */
export const CONTENDED_FOR_MS = 1_000;
/** Most instances remembered; past it, the set starts over (a heuristic, not a record). */
const MAX_INSTANCES = 4_096;

export class ContendedInstances {
  readonly #until = new Map<string, number>();

  /** Whether `key` met a conflict within the last `CONTENDED_FOR_MS`; one size check when none did. */
  has(key: string): boolean {
    if (this.#until.size === 0) return false;
    const until = this.#until.get(key);
    if (until === undefined) return false;
    if (until > performance.now()) return true;
    this.#until.delete(key);
    return false;
  }

  /** Records a conflict on `key`. */
  mark(key: string): void {
    if (this.#until.size >= MAX_INSTANCES && !this.#until.has(key)) this.#until.clear();
    this.#until.set(key, performance.now() + CONTENDED_FOR_MS);
  }
}
