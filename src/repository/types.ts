/**
 * @module repository/types
 *
 * The persistence port. Every store (in-memory, Prisma on PostgreSQL, Prisma on PGlite) implements
 * this narrow interface and passes the same contract suite (`tests/contract/repository-contract.ts`).
 *
 * Terminology
 * - instance: one running saga, unique per (sagaName, correlationId).
 * - version: starts at 1 on insert and grows by exactly 1 with every committed write.
 * - history: one append-only row per committed write; its `sequence` equals the version it produced,
 *   so history and versions always agree.
 * - commit: the single unit of persistence. An insert, conditional update or conditional delete of an
 *   instance together with its history row, applied atomically or not at all.
 */

/** Lifecycle of an instance, independent of the business state it is in. */
export const SagaStatus = Object.freeze({
  /** Running: the instance waits for its next event. */
  Active: 'active',
  /** The compensation stack is being unwound. */
  Compensating: 'compensating',
  /** A compensation step threw; the instance waits for `retryCompensation`. */
  CompensationFailed: 'compensation_failed',
  /** Finalized normally. */
  Completed: 'completed',
  /** Finalized after a compensation run: the saga rolled back. */
  Faulted: 'faulted',
} as const);
export type SagaStatus = (typeof SagaStatus)[keyof typeof SagaStatus];

/** One registered compensation: a name and serialisable arguments, never a closure. */
export interface CompensationEntry {
  readonly name: string;
  readonly args: unknown;
  /** How many times a run started this step; > 0 on the top entry means it may have run before a crash. */
  readonly attempts: number;
}

/** Why the last compensation run stopped. */
export interface InstanceError {
  readonly code: string;
  readonly message: string;
  /** The compensation step that threw. */
  readonly step?: string;
  readonly at: Date;
}

/** A persisted saga instance. `data` is untyped here: the orchestrator validates it against the saga's schema. */
export interface SagaInstanceRecord {
  readonly id: string;
  readonly sagaName: string;
  readonly correlationId: string;
  readonly state: string;
  readonly data: unknown;
  /**
   * The saga's data version when `data` was written (column `data_version`, default 1). The orchestrator
   * runs the saga's `upgrade` functions on load when it is older than the saga's current version.
   */
  readonly dataVersion: number;
  readonly version: number;
  readonly status: SagaStatus;
  /** Bottom first: the last element is the top of the LIFO stack. */
  readonly compensation: readonly CompensationEntry[];
  readonly error: InstanceError | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly completedAt: Date | null;
}

/** One row of an instance's append-only journal. */
export interface HistoryRecord {
  readonly instanceId: string;
  /** Equals the version this write produced. */
  readonly sequence: number;
  readonly messageId: string;
  /** The event type, or `sagaflow.compensation.*` for writes made by a compensation run. */
  readonly eventType: string;
  /** `null` for the write that created the instance. */
  readonly stateBefore: string | null;
  readonly stateAfter: string;
  readonly payload: unknown;
  readonly at: Date;
}

/**
 * An atomic write. `expectedVersion` is the version that was read; the store applies the write only if
 * the stored version still equals it, and otherwise throws `ConcurrencyError`.
 */
export type SagaCommit =
  | { readonly kind: 'insert'; readonly instance: SagaInstanceRecord; readonly history: HistoryRecord }
  | {
      readonly kind: 'update';
      readonly instance: SagaInstanceRecord;
      readonly expectedVersion: number;
      readonly history: HistoryRecord;
    }
  | {
      /** Removes a finalized instance (and its history) when the saga asks for that. */
      readonly kind: 'delete';
      readonly instance: SagaInstanceRecord;
      readonly expectedVersion: number;
    };

export type SortOrder = 'asc' | 'desc';

export interface InstanceQuery {
  readonly sagaName?: string;
  readonly state?: string;
  readonly status?: SagaStatus | readonly SagaStatus[];
  readonly correlationId?: string;
  /** Only instances whose `updatedAt` is strictly before this time (stale scans). */
  readonly updatedBefore?: Date;
  /** Ordering is by (updatedAt, id), stable across pages. Default `desc`. */
  readonly order?: SortOrder;
  /** Page size, default 50, at most 1000. */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `cursor` to get the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

export interface StateCount {
  readonly sagaName: string;
  readonly state: string;
  readonly status: SagaStatus;
  readonly count: number;
}

export interface ReadOptions {
  /**
   * Read the stored row itself, bypassing any cache the repository keeps. Monitoring and recovery ask
   * for this; event processing does not need it, since every write is version-checked anyway.
   */
  readonly fresh?: boolean;
}

/**
 * The persistence port.
 *
 * @example
 * const repo: SagaRepository = new InMemorySagaRepository();
 * const found = await repo.findByCorrelation('order', 'order-42');
 */
export interface SagaRepository {
  findByCorrelation(sagaName: string, correlationId: string, options?: ReadOptions): Promise<SagaInstanceRecord | null>;
  findById(id: string): Promise<SagaInstanceRecord | null>;
  /**
   * Applies the commit atomically. Throws `ConcurrencyError` when the stored version differs from
   * `expectedVersion`, when the instance is gone, or when an insert meets an existing
   * (sagaName, correlationId).
   */
  commit(commit: SagaCommit): Promise<void>;
  /** Instances matching the query, ordered by (updatedAt, id). */
  list(query?: InstanceQuery): Promise<Page<SagaInstanceRecord>>;
  /** How many instances are in each (saga, state, status). */
  countByState(sagaName?: string): Promise<readonly StateCount[]>;
  /** An instance's journal, ordered by sequence. */
  history(instanceId: string): Promise<readonly HistoryRecord[]>;
  /** Releases connections; the repository is unusable afterwards. */
  close?(): Promise<void>;
}
