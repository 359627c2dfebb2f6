/**
 * @module ops/change-feed
 *
 * Instance changes, found by polling the store so that it sees every process's writes (workers on other
 * machines included) with nothing but the repository port: each pass lists the instances updated since
 * a little before the newest `updatedAt` it has seen (newest first, stopping at the first older one),
 * and reports those whose version it has not reported yet. The overlap (`overlapMs`) covers writers
 * whose clocks lag and writes that commit a moment after they were stamped.
 *
 * Removed instances (finished sagas with `removeOnCompletion`) leave no row to list: when a saga's
 * count shrinks by more than the feed can explain, the feed looks up the unfinished instances it has
 * seen and reports the ones that are gone. Counts (`stats`) are reported when they change, at most once
 * per `statsIntervalMs`.
 *
 * The feed polls only while someone listens: the first `subscribe` starts it, the last unsubscribe
 * stops it.
 */
import type { Clock } from '../clock/clock.ts';
import { systemClock } from '../clock/clock.ts';
import { SagaStatus, type SagaInstanceRecord, type SagaRepository, type StateCount } from '../repository/types.ts';
import { toSummary, type InstanceSummary } from './views.ts';

export type FeedEvent =
  | { readonly type: 'instance'; readonly kind: 'created' | 'updated' | 'removed'; readonly instance: InstanceSummary }
  | { readonly type: 'stats'; readonly counts: readonly StateCount[] };

export interface ChangeFeedOptions {
  readonly repository: SagaRepository;
  /** Between the end of one pass and the start of the next. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** How far before the newest `updatedAt` seen each pass looks again. Default 5000 ms. */
  readonly overlapMs?: number;
  /** At most one `stats` event per this interval. Default 1000 ms. */
  readonly statsIntervalMs?: number;
  /** Changes one pass reports at most; a burst beyond it is skipped (the next pass starts after it). Default 2000. */
  readonly maxChangesPerPass?: number;
  /** Unfinished instances remembered for spotting removals. Default 1000. */
  readonly maxTracked?: number;
  readonly clock?: Clock;
  /** A failed pass; the feed carries on with the next one. Default: ignored. */
  readonly onError?: (error: unknown) => void;
}

type Listener = (event: FeedEvent) => void;

const PAGE = 200;
const FINISHED: ReadonlySet<string> = new Set([SagaStatus.Completed, SagaStatus.Faulted]);

/**
 * @example
 * const feed = new ChangeFeed({ repository, pollIntervalMs: 500 });
 * const stop = feed.subscribe((event) => { if (event.type === 'instance') console.log(event.instance.state); });
 * // ... later
 * stop();
 * await feed.close();
 */
export class ChangeFeed {
  readonly #repository: SagaRepository;
  readonly #interval: number;
  readonly #overlap: number;
  readonly #statsInterval: number;
  readonly #maxChanges: number;
  readonly #maxTracked: number;
  readonly #clock: Clock;
  readonly #onError: (error: unknown) => void;
  readonly #listeners = new Set<Listener>();
  /** id → version reported, for instances updated within the overlap of the newest. */
  #reported = new Map<string, { version: number; updatedAt: number }>();
  /** Unfinished instances seen, oldest first (a Map keeps insertion order), for spotting removals. */
  readonly #tracked = new Map<string, InstanceSummary>();
  #newest = Number.NEGATIVE_INFINITY;
  #primed = false;
  #counts: readonly StateCount[] | undefined;
  #countsReported: string | undefined;
  #statsAt = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pass: Promise<void> | undefined;
  #readyWaiters: Array<() => void> = [];

  constructor(options: ChangeFeedOptions) {
    this.#repository = options.repository;
    this.#interval = options.pollIntervalMs ?? 1000;
    this.#overlap = options.overlapMs ?? 5000;
    this.#statsInterval = options.statsIntervalMs ?? 1000;
    this.#maxChanges = options.maxChangesPerPass ?? 2000;
    this.#maxTracked = options.maxTracked ?? 1000;
    this.#clock = options.clock ?? systemClock;
    this.#onError = options.onError ?? (() => {});
  }

  /** Starts polling if this is the first listener. Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1 && this.#pass === undefined && this.#timer === undefined) this.#schedule(0);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /** True while someone listens (and so the feed polls). */
  get active(): boolean {
    return this.#listeners.size > 0;
  }

  /**
   * Resolves once the feed knows where the store is, so that any later write will be reported. A
   * listener that subscribes and then writes (a test, say) waits for it first.
   */
  ready(): Promise<void> {
    if (this.#primed) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Drops every listener, stops polling, and waits for a pass in progress. */
  async close(): Promise<void> {
    this.#listeners.clear();
    this.#stop();
    await this.#pass;
  }

  /**
   * One pass now: report what changed since the last one. The first pass only learns where the store
   * is (nothing that happened before the feed started is reported). Polling calls it; tests may too.
   */
  async poll(): Promise<void> {
    const before = this.#primed;
    if (!before) {
      const newest = (await this.#repository.list({ order: 'desc', limit: 1 })).items[0];
      if (newest) this.#newest = newest.updatedAt.getTime();
    }
    const changed = await this.#changes();
    const previousCounts = this.#counts;
    const counts = await this.#repository.countByState();
    this.#counts = counts;
    if (!before) {
      this.#primed = true;
      this.#countsReported = JSON.stringify(counts);
      for (const resolve of this.#readyWaiters.splice(0)) resolve();
      return;
    }
    for (const change of changed) this.#emit(change);
    if (previousCounts) for (const removed of await this.#removals(previousCounts, counts, changed)) this.#emit(removed);
    this.#maybeStats(counts);
  }

  async #changes(): Promise<FeedEvent[]> {
    const since = this.#newest - this.#overlap;
    const found: SagaInstanceRecord[] = [];
    let cursor: string | undefined;
    scan: do {
      const page = await this.#repository.list({ order: 'desc', limit: PAGE, ...(cursor !== undefined && { cursor }) });
      for (const record of page.items) {
        if (record.updatedAt.getTime() < since) break scan;
        found.push(record);
        if (found.length >= this.#maxChanges) break scan;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);

    const changes: FeedEvent[] = [];
    // Oldest first, so listeners see an instance's changes in the order they happened.
    for (const record of found.reverse()) {
      const updatedAt = record.updatedAt.getTime();
      if (updatedAt > this.#newest) this.#newest = updatedAt;
      const known = this.#reported.get(record.id);
      if (known !== undefined && known.version >= record.version) continue;
      this.#reported.set(record.id, { version: record.version, updatedAt });
      const instance = toSummary(record);
      this.#track(instance);
      const kind = known === undefined && record.version === 1 ? 'created' : 'updated';
      changes.push({ type: 'instance', kind, instance });
    }
    const horizon = this.#newest - this.#overlap;
    for (const [id, r] of this.#reported) if (r.updatedAt < horizon) this.#reported.delete(id);
    return changes;
  }

  #track(instance: InstanceSummary): void {
    this.#tracked.delete(instance.id);
    if (FINISHED.has(instance.status)) return;
    this.#tracked.set(instance.id, instance);
    if (this.#tracked.size > this.#maxTracked) this.#tracked.delete(this.#tracked.keys().next().value!);
  }

  /** Sagas whose total fell short of the last total plus what this pass saw created lost instances. */
  async #removals(before: readonly StateCount[], after: readonly StateCount[], changed: readonly FeedEvent[]): Promise<FeedEvent[]> {
    const totals = (counts: readonly StateCount[]) => {
      const map = new Map<string, number>();
      for (const c of counts) map.set(c.sagaName, (map.get(c.sagaName) ?? 0) + c.count);
      return map;
    };
    const was = totals(before);
    const now = totals(after);
    const created = new Map<string, number>();
    for (const c of changed) if (c.type === 'instance' && c.kind === 'created') created.set(c.instance.sagaName, (created.get(c.instance.sagaName) ?? 0) + 1);
    const shrunk = new Set([...was.keys()].filter((saga) => (now.get(saga) ?? 0) < was.get(saga)! + (created.get(saga) ?? 0)));
    if (shrunk.size === 0) return [];
    const removed: FeedEvent[] = [];
    for (const instance of [...this.#tracked.values()]) {
      if (!shrunk.has(instance.sagaName)) continue;
      if ((await this.#repository.findById(instance.id)) !== null) continue;
      this.#tracked.delete(instance.id);
      removed.push({ type: 'instance', kind: 'removed', instance: { ...instance, removed: true } });
    }
    return removed;
  }

  #maybeStats(counts: readonly StateCount[]): void {
    const now = this.#clock.now();
    const text = JSON.stringify(counts);
    if (text === this.#countsReported || now - this.#statsAt < this.#statsInterval) return;
    this.#countsReported = text;
    this.#statsAt = now;
    this.#emit({ type: 'stats', counts });
  }

  #emit(event: FeedEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pass = this.poll()
        .catch(this.#onError)
        .finally(() => {
          this.#pass = undefined;
          if (this.#listeners.size > 0) this.#schedule(this.#interval);
        });
    }, delay);
    this.#timer.unref?.();
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Starting again later must not report the changes made while nobody listened as new.
    this.#primed = false;
    this.#reported = new Map();
    this.#tracked.clear();
    this.#newest = Number.NEGATIVE_INFINITY;
    this.#counts = undefined;
  }
}
