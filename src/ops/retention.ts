/**
 * @module ops/retention
 *
 * Keeping the store lean: finished instances (`completed`, `faulted`) and their history are removed once
 * they are older than a retention age, per saga. `purge` runs batches until a batch comes back short;
 * `RetentionService` runs it periodically in every worker host, with no leader: on PostgreSQL each batch
 * takes its rows `FOR UPDATE SKIP LOCKED`, so concurrent purgers split the work and never wait.
 */
import type { Clock } from '../clock/clock.ts';
import { systemClock } from '../clock/clock.ts';
import { FINISHED } from '../repository/find-helpers.ts';
import type { SagaRepository } from '../repository/types.ts';

/** How long finished instances are kept: a default and per saga (`false`: keep that saga's forever). */
export interface RetentionPolicy {
  /** Age (since `completedAt`) after which a finished instance is removed. Leave out to keep sagas without a rule. */
  readonly olderThanMs?: number;
  readonly sagas?: Readonly<Record<string, number | false>>;
  /** Instances per batch (one statement each), default 500. */
  readonly batchSize?: number;
}

export interface PurgeReport {
  readonly dryRun: boolean;
  /** Per rule: the saga (`null` for every saga without a rule of its own), its age, and what went (or would go). */
  readonly rules: ReadonlyArray<{ readonly saga: string | null; readonly olderThanMs: number; readonly instances: number; readonly history: number | null }>;
  readonly instances: number;
  readonly batches: number;
}

export interface PurgeOptions {
  readonly repository: SagaRepository;
  readonly policy: RetentionPolicy;
  readonly clock?: Clock;
  /** Count what would go, remove nothing (history rows are then not counted: `null`). */
  readonly dryRun?: boolean;
  /** Stop after this many batches (a periodic pass leaves the rest to its next run). Default unbounded. */
  readonly maxBatches?: number;
}

export const DEFAULT_PURGE_BATCH = 500;

/**
 * Applies a retention policy once: for each rule, batches until one comes back short.
 *
 * @example
 * await purge({ repository, policy: { olderThanMs: 30 * 86_400_000, sagas: { audit: false } } });
 */
export async function purge(options: PurgeOptions): Promise<PurgeReport> {
  const { repository, policy } = options;
  const now = (options.clock ?? systemClock).now();
  const limit = policy.batchSize ?? DEFAULT_PURGE_BATCH;
  const ruled = Object.keys(policy.sagas ?? {});
  const rules: Array<{ saga: string | null; olderThanMs: number }> = [];
  for (const [saga, age] of Object.entries(policy.sagas ?? {})) if (age !== false) rules.push({ saga, olderThanMs: checkAge(age) });
  if (policy.olderThanMs !== undefined) rules.push({ saga: null, olderThanMs: checkAge(policy.olderThanMs) });
  let batches = 0;
  const out: Array<PurgeReport['rules'][number]> = [];
  for (const rule of rules) {
    const finishedBefore = new Date(now - rule.olderThanMs);
    const scope = rule.saga === null ? { exceptSagas: ruled } : { sagaName: rule.saga };
    if (options.dryRun) {
      const instances = await repository.countInstances({ status: FINISHED, completedBefore: finishedBefore, ...(rule.saga !== null && { sagaName: rule.saga }) });
      // Counting "every saga but these" has no filter of its own: subtract the ruled sagas' counts.
      const ruledCounts = rule.saga === null ? await Promise.all(ruled.map((sagaName) => repository.countInstances({ sagaName, status: FINISHED, completedBefore: finishedBefore }))) : [];
      out.push({ ...rule, instances: instances - ruledCounts.reduce((a, b) => a + b, 0), history: null });
      continue;
    }
    let instances = 0;
    let history = 0;
    for (;;) {
      if (options.maxBatches !== undefined && batches >= options.maxBatches) break;
      const batch = await repository.purgeFinished({ finishedBefore, limit, ...scope });
      batches++;
      instances += batch.instances;
      history += batch.history;
      if (batch.instances < limit) break;
    }
    out.push({ ...rule, instances, history });
  }
  return { dryRun: options.dryRun === true, rules: out, instances: out.reduce((n, r) => n + r.instances, 0), batches };
}

function checkAge(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`a retention age must be a positive number of milliseconds, got ${ms}`);
  return ms;
}

export interface RetentionServiceOptions {
  readonly repository: SagaRepository;
  readonly policy: RetentionPolicy;
  /** Between passes. Default 5 min. */
  readonly intervalMs?: number;
  /** Batches per pass at most, so a first pass over a large backlog does not hog the store. Default 20. */
  readonly maxBatchesPerPass?: number;
  readonly clock?: Clock;
  readonly onPass?: (report: PurgeReport) => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * A background service (`WorkerHost`'s `retention` option starts one) that applies the policy
 * periodically. Every worker may run one; they need no leader.
 *
 * @example
 * const retention = new RetentionService({ repository, policy: { olderThanMs: 30 * 86_400_000 } });
 * await retention.start();
 */
export class RetentionService {
  readonly #o: RetentionServiceOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pass: Promise<unknown> | undefined;
  #stopped = true;

  constructor(options: RetentionServiceOptions) {
    if (options.policy.olderThanMs !== undefined) checkAge(options.policy.olderThanMs);
    this.#o = options;
  }

  /** One pass now (at most `maxBatchesPerPass` batches). */
  runOnce(): Promise<PurgeReport> {
    const { repository, policy, clock } = this.#o;
    return purge({ repository, policy, maxBatches: this.#o.maxBatchesPerPass ?? 20, ...(clock && { clock }) });
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#pass = this.runOnce()
        .then((report) => this.#o.onPass?.(report))
        .catch((error: unknown) => this.#o.onError?.(error))
        .finally(() => this.#schedule(this.#o.intervalMs ?? 300_000));
    }, delay);
    this.#timer.unref?.();
  }

  /** Stops the timer and waits for a pass under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#pass;
  }
}
