/**
 * @module prisma/smart-batcher
 *
 * Smart batching (group commit) without timers: a request made while a statement is in flight waits in a
 * queue; when the statement returns, everything queued goes out together as one statement. An idle
 * batcher sends a request at once, alone, so a single writer pays no added latency, and under load the
 * batch grows by itself to the number of callers waiting (up to `maxBatch`). The only wait is one
 * event-loop turn after a batch of several, so that the callers it woke can join the next one.
 */

/** One queued request and how to settle it. */
export interface Pending<T, R> {
  readonly item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export interface SmartBatcherOptions<T, R> {
  /**
   * Sends one batch and settles every entry of it (each individually). A throw rejects every entry that
   * is still unsettled with that error.
   */
  readonly flush: (batch: readonly Pending<T, R>[]) => Promise<void>;
  /** Most requests in one statement. */
  readonly maxBatch: number;
}

/**
 * @example
 * const reads = new SmartBatcher<string, Row | null>({ maxBatch: 128, flush: async (batch) => {
 *   const rows = await selectMany(batch.map((p) => p.item));
 *   batch.forEach((p, i) => p.resolve(rows[i] ?? null));
 * } });
 * const row = await reads.submit('order-42');
 */
export class SmartBatcher<T, R> {
  readonly #flush: SmartBatcherOptions<T, R>['flush'];
  readonly #maxBatch: number;
  #queue: Pending<T, R>[] = [];
  #busy = false;

  constructor(options: SmartBatcherOptions<T, R>) {
    this.#flush = options.flush;
    this.#maxBatch = Math.max(1, options.maxBatch);
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#busy) void this.#drain();
    });
  }

  /** Sends batches back to back until the queue is empty; one batch in flight at a time. */
  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.length <= this.#maxBatch ? this.#queue : this.#queue.slice(0, this.#maxBatch);
        this.#queue = batch === this.#queue ? [] : this.#queue.slice(this.#maxBatch);
        try {
          await this.#flush(batch);
        } catch (error) {
          // Entries already settled keep their outcome: a promise settles once.
          for (const p of batch) p.reject(error);
        }
        // Callers woken by this batch usually come straight back with their next request. Letting their
        // continuations run first (one event-loop turn, no time window) puts them all in the next batch;
        // otherwise the first of them would go alone and the rest wait a whole round trip behind it.
        // A lone caller has nobody to wait for: it goes straight out next time.
        if (batch.length > 1 || this.#queue.length > 0) await nextTurn();
      }
    } finally {
      this.#busy = false;
    }
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
