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
 *   instance together with its history row and its outbox messages, applied atomically or not at all.
 * - inbox: the history doubles as the inbox. A commit whose `history.messageId` is already in the
 *   instance's history does not apply; the store says so with `DuplicateMessageError`, so a redelivered
 *   message is acknowledged with no effect.
 * - outbox: messages a commit stages; they exist exactly when the write that produced them committed.
 *   A relay claims them (`claimOutbox`) and deletes them once the transport accepted them (`markSent`).
 * - dead letters: messages that can never succeed, kept with the reason for inspection and replay.
 */
import type { Envelope } from '../messages/envelope.ts';
import type { InstanceFilter } from './instance-filter.ts';
export type { InstanceFilter } from './instance-filter.ts';


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

/**
 * An event an instance scheduled for itself and has not received yet. The scheduled message waits in the
 * outbox (id = `token`, available at `dueAt`); when it arrives, the orchestrator applies it only if the
 * instance still holds this token, so a cancelled or superseded schedule never fires.
 */
export interface ScheduleEntry {
  /** One pending schedule per key: `timeout:<State>`, `deadline`, or the key an action chose. */
  readonly key: string;
  /** The scheduled message's id. */
  readonly token: string;
  /** The event type that will arrive. */
  readonly type: string;
  readonly dueAt: Date;
  /** For a request's timeout: the id of the command whose answer the instance waits for. */
  readonly requestId?: string;
}

/** Joins under way on an instance: composite event type → constituent event types that arrived. */
export type JoinProgress = Readonly<Record<string, readonly string[]>>;

/** Why the last compensation run stopped. */
export interface InstanceError {
  readonly code: string;
  readonly message: string;
  /** The compensation step that threw. */
  readonly step?: string;
  readonly at: Date;
  /**
   * Set by an operator's cancel (`sagaflow cancel`): the compensation run ends the instance `faulted`
   * whatever its state, and a failed step keeps the mark for the retry. Absent otherwise.
   */
  readonly cancelled?: true;
}

/** A persisted saga instance. `data` is untyped here: the orchestrator validates it against the saga's schema. */
export interface SagaInstanceRecord {
  readonly id: string;
  readonly sagaName: string;
  readonly correlationId: string;
  readonly state: string;
  readonly data: unknown;
  /**
   * The version of the saga definition that last wrote the instance (`defineSaga(name, { version })`;
   * column `data_version`, default 1, so rows from before versions existed count as version 1). Named for
   * its first use, the data version. An older one is migrated on load (`migrations`, docs/evolution.md);
   * a newer one is refused with `SagaVersionNewerError`.
   */
  readonly dataVersion: number;
  readonly version: number;
  readonly status: SagaStatus;
  /** Bottom first: the last element is the top of the LIFO stack. */
  readonly compensation: readonly CompensationEntry[];
  readonly error: InstanceError | null;
  /** Pending schedules (column `schedules`, default `[]`); absent or undefined means none. */
  readonly schedules?: readonly ScheduleEntry[] | undefined;
  /**
   * Joins under way (column `joins`, NULL for none): a composite event's type → the types of its
   * constituent events that have arrived so far, in arrival order. Absent or undefined means none.
   */
  readonly joins?: JoinProgress | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly completedAt: Date | null;
}

/** A message a write sent, as its history row records it (the timeline of an instance). */
export interface SentMessage {
  readonly messageId: string;
  readonly type: string;
  /** `publish` for an event, `send` for a command, `schedule` for a message due later. */
  readonly kind: 'publish' | 'send' | 'schedule';
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
  /** The messages this write sent; absent when none. */
  readonly sent?: readonly SentMessage[] | undefined;
}

/** A history row with the instance it belongs to (`historyByType`: rows across instances). */
export interface InstanceHistoryRecord extends HistoryRecord {
  readonly sagaName: string;
  readonly correlationId: string;
}

/** Which history rows `historyByType` lists: newest first, by (at, instanceId, sequence). */
export interface HistoryByTypeQuery {
  /** Rows whose event type starts with this (taken literally), e.g. `sagaflow.operator.` for the audit trail. */
  readonly eventTypePrefix: string;
  readonly sagaName?: string;
  /** Page size, default 50, at most 1000. */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** How a relay claims: at a time it gives, or at the store's own time. */
export type ClaimOptions =
  | { readonly limit: number; readonly now: Date; readonly leaseUntil: Date }
  | { readonly limit: number; readonly leaseMs: number };

/** A message staged in the outbox by a commit (or by `stageOutbox`). */
export interface OutboxEntry {
  /** The row's own id (a UUIDv7): envelopes may share a message id (a deterministic reply, say). */
  readonly id: string;
  readonly envelope: Envelope;
  /**
   * When a relay may first claim it. A process that delivers its own messages right after the commit
   * stages them a lease ahead, so relays pick them up only if that process died before marking them sent.
   */
  readonly availableAt: Date;
}

/** An outbox entry as a relay claims it. */
export interface OutboxMessage extends OutboxEntry {
  /** Claims so far, this one included. */
  readonly attempts: number;
  readonly createdAt: Date;
}

/**
 * An atomic write. `expectedVersion` is the version that was read; the store applies the write only if
 * the stored version still equals it, and otherwise throws `ConcurrencyError`. An insert or update whose
 * `history.messageId` the instance's history already holds does not apply either: the store throws
 * `DuplicateMessageError` (also when the duplicate is why the version or insert check failed).
 * `outbox` entries are stored if and only if the write applies, and so are the deletions of
 * `cancelOutbox` (cancelled schedules; ids already gone are ignored).
 */
export type SagaCommit =
  | {
      readonly kind: 'insert';
      readonly instance: SagaInstanceRecord;
      readonly history: HistoryRecord;
      readonly outbox?: readonly OutboxEntry[];
      readonly cancelOutbox?: readonly string[];
    }
  | {
      readonly kind: 'update';
      readonly instance: SagaInstanceRecord;
      readonly expectedVersion: number;
      readonly history: HistoryRecord;
      readonly outbox?: readonly OutboxEntry[];
      readonly cancelOutbox?: readonly string[];
    }
  | {
      /** Removes a finalized instance (and its history) when the saga asks for that. */
      readonly kind: 'delete';
      readonly instance: SagaInstanceRecord;
      readonly expectedVersion: number;
      readonly outbox?: readonly OutboxEntry[];
      readonly cancelOutbox?: readonly string[];
    };

/** Where a handled command stands; stable strings, stored with it. */
export const CommandStatus = Object.freeze({
  /** A handler is running it (or was, in a process that died: its lease tells). */
  Running: 'running',
  Completed: 'completed',
  Failed: 'failed',
  Cancelled: 'cancelled',
  TimedOut: 'timed_out',
} as const);
export type CommandStatus = (typeof CommandStatus)[keyof typeof CommandStatus];

/** A command a handler took, and once finished its outcome (`sagaflow_commands`). */
export interface CommandRecord {
  /** The command's message id. */
  readonly id: string;
  readonly commandType: string;
  readonly target: string | null;
  readonly correlationId: string | null;
  /** As received, so another process can run it again after a crash. */
  readonly envelope: Envelope;
  readonly status: CommandStatus;
  /** Handler attempts started so far. */
  readonly attempts: number;
  /** While running: when another process may take it over. */
  readonly leaseUntil: Date | null;
  readonly output: unknown;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

/**
 * What `claimCommand` found: `claimed` (this caller runs the next attempt; `attempts` counts it),
 * `finished` (the outcome is recorded: never run it again), or `busy` (running elsewhere, lease valid).
 */
export type CommandClaim =
  | { readonly status: 'claimed'; readonly command: CommandRecord }
  | { readonly status: 'finished'; readonly command: CommandRecord }
  | { readonly status: 'busy'; readonly command: CommandRecord };

/** A command's outcome, recorded once with the messages it sends (outcome event, follow-up commands). */
export interface CommandFinish {
  readonly id: string;
  readonly status: Exclude<CommandStatus, 'running'>;
  readonly attempts: number;
  readonly output?: unknown;
  readonly error?: { readonly code: string; readonly message: string } | null;
  readonly at: Date;
  readonly outbox: readonly OutboxEntry[];
}

/** What `claimExpiredCommands` may take. */
export interface ExpiredCommandClaim {
  readonly now: Date;
  readonly leaseUntil: Date;
  readonly limit: number;
  /** The command types the claiming process has handlers for. */
  readonly types: readonly string[];
  /** Its worker group; `null` takes untargeted commands only. */
  readonly group: string | null;
}

export interface CommandQuery {
  readonly status?: CommandStatus;
  readonly commandType?: string;
  readonly correlationId?: string;
  /** Page size, default 50, at most 1000. Ordered by (createdAt, id), newest first. */
  readonly limit?: number;
  readonly cursor?: string;
}

/** Why a message was dead-lettered; stable strings, stored with the letter. */
export const DeadLetterReason = Object.freeze({
  /** Not an envelope (not JSON, missing type or message id, wrong field types). */
  MalformedEnvelope: 'malformed-envelope',
  /** No registered saga handles the type. */
  UnknownEvent: 'unknown-event',
  /** The payload failed its schema. */
  InvalidPayload: 'invalid-payload',
  /** The payload is larger than the orchestrator's `maxPayloadBytes`. */
  PayloadTooLarge: 'payload-too-large',
  /** The retry policy gave up on a failing action (or on conflicts). */
  RetriesExhausted: 'retries-exhausted',
  /** Any other permanent refusal: missing instance, unhandled in the state, invalid stored data. */
  Rejected: 'rejected',
  /**
   * The message, or what handling it would write, holds a value no store can hold (a NUL character, a
   * lone surrogate, NaN, a BigInt: `UnstorableValueError`). Nothing was written.
   */
  UnstorableValue: 'unstorable-value',
} as const);
export type DeadLetterReason = (typeof DeadLetterReason)[keyof typeof DeadLetterReason];

/** A message that was given up on, with why, so it can be inspected, replayed or discarded. */
export interface DeadLetter {
  readonly id: string;
  readonly reason: DeadLetterReason;
  /** The `code` of the error that sent it here, and its message. */
  readonly errorCode: string;
  readonly errorMessage: string;
  /** What arrived, as JSON: an envelope, or for input that is not one, `{ raw }` with the text. */
  readonly envelope: unknown;
  /** Copied out of the envelope when it has them, for filtering. */
  readonly messageId: string | null;
  readonly messageType: string | null;
  /** The saga (and instance) that refused it, when one did. */
  readonly sagaName: string | null;
  readonly correlationId: string | null;
  readonly instanceId: string | null;
  /** Failed replays add one each. */
  readonly replays: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DeadLetterQuery {
  readonly reason?: DeadLetterReason;
  readonly sagaName?: string;
  readonly messageType?: string;
  /** Page size, default 50, at most 1000. Ordered by (createdAt, id), oldest first. */
  readonly limit?: number;
  readonly cursor?: string;
  /**
   * Leave each letter's `envelope` out (`undefined`): a listing of summaries then downloads no payloads.
   * `getDeadLetter` always has it.
   */
  readonly withoutEnvelope?: boolean;
}

/** A page of an instance's history: the last `limit` rows (at most 1000) whose sequence is below `before`. */
export interface HistoryQuery {
  readonly before?: number;
  readonly limit?: number;
}

/** Which dead letters `countDeadLetters` counts. */
export type DeadLetterCountQuery = Pick<DeadLetterQuery, 'reason' | 'sagaName' | 'messageType'>;

export type SortOrder = 'asc' | 'desc';

/** A page of instances: the filter (`InstanceFilter`, shared with counts and bulk actions) and the paging. */
export interface InstanceQuery extends InstanceFilter {
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

/** How many instances of a saga, in a status, the definition version `definitionVersion` last wrote. */
export interface VersionCount {
  readonly sagaName: string;
  readonly definitionVersion: number;
  readonly status: SagaStatus;
  readonly count: number;
}

/** Dead letters counted per (reason, message type, saga): `countDeadLettersBy`. */
export interface DeadLetterGroupCount {
  readonly reason: DeadLetterReason;
  readonly messageType: string | null;
  readonly sagaName: string | null;
  readonly count: number;
}

/** What a saga's instances did since a time (`activitySince`), read from their history and the dead letters. */
export interface SagaActivity {
  readonly sagaName: string;
  /** History rows written by events (compensation runs' own writes not counted). */
  readonly applied: number;
  /** Instances that finished as `faulted` (rolled back by their compensation) in the window. */
  readonly compensated: number;
  /** Compensation runs that stopped on a failing step (`sagaflow.compensation.failed` rows). */
  readonly compensationFailed: number;
  /** Messages refused for this saga (dead letters created in the window). */
  readonly deadLettered: number;
}

/** A batch of retention (`purgeFinished`): finished instances whose `completedAt` is before `finishedBefore`. */
export interface PurgeBatch {
  readonly finishedBefore: Date;
  /** Only this saga's instances; all sagas when left out. */
  readonly sagaName?: string;
  /** Sagas left alone (their own retention applies, or none). */
  readonly exceptSagas?: readonly string[];
  /** Most instances removed by this call, 1..10000. */
  readonly limit: number;
}

/** What one `purgeFinished` call removed. */
export interface PurgeResult {
  readonly instances: number;
  readonly history: number;
}

export interface ReadOptions {
  /**
   * Read the stored row itself, bypassing any cache the repository keeps. Monitoring and recovery ask
   * for this; event processing does not need it, since every write is version-checked anyway.
   */
  readonly fresh?: boolean;
  /**
   * The caller is about to create the instance if the answer is null, and treats the create's
   * `ConcurrencyError` as "it existed after all" (reading again with `fresh`). A repository may then
   * answer null without asking the store when it holds no cached copy: the create's own uniqueness check
   * answers the question in the same round trip as the write. A repository that reads cheaply ignores it.
   */
  readonly assumeAbsent?: boolean;
}

/**
 * An instance held exclusively, from its read until `commit` or `release` (`SagaRepository.lockInstance`).
 * Hold it briefly: writers of the same instance elsewhere wait for it.
 */
export interface LockedInstance {
  /** The instance as stored when the lock was granted; `null` when there is none (nothing is then held). */
  readonly record: SagaInstanceRecord | null;
  /**
   * Applies the commit exactly as `SagaRepository.commit` does (same errors) and ends the lock, whether
   * it applied or not. Once only.
   */
  commit(commit: SagaCommit): Promise<void>;
  /** Ends the lock without writing. Never throws; does nothing once the lock ended. */
  release(): Promise<void>;
}

/**
 * The persistence port.
 *
 * @example
 * const repo: SagaRepository = new InMemorySagaRepository();
 * const found = await repo.findByCorrelation('order', 'order-42');
 */
export interface SagaRepository {
  /**
   * True when `findByCorrelation` without `{ fresh: true }` may answer from a cache. The orchestrator
   * then reads again, fresh, before deciding to write nothing (an unhandled or ignored event).
   */
  readonly cachesReads?: boolean;
  /**
   * True when `findByCorrelation` with `{ assumeAbsent: true }` may answer null without asking the store.
   * The orchestrator then treats that null as unconfirmed: an insert refused because the instance exists
   * is followed at once by a fresh read (no backoff, no conflict counted), and a decision to write nothing
   * is made only on a fresh read.
   */
  readonly assumesAbsence?: boolean;
  findByCorrelation(sagaName: string, correlationId: string, options?: ReadOptions): Promise<SagaInstanceRecord | null>;
  /**
   * Optional: reads the instance (fresh) and holds it until the lock's `commit` or `release`. While it is
   * held, a `lockInstance` of the same instance waits, in arrival order, and a `commit` to it from
   * elsewhere waits, then applies or fails its version check against what the holder wrote. So the
   * holder's own commit never meets a version conflict. The orchestrator locks only for its retries
   * after a version conflict: contended events then queue on the instance instead of failing, and the
   * uncontended path pays nothing. A repository without it is retried optimistically, with backoff.
   */
  lockInstance?(sagaName: string, correlationId: string): Promise<LockedInstance>;
  findById(id: string): Promise<SagaInstanceRecord | null>;
  /**
   * Applies the commit atomically. Throws `ConcurrencyError` when the stored version differs from
   * `expectedVersion`, when the instance is gone, or when an insert meets an existing
   * (sagaName, correlationId).
   */
  commit(commit: SagaCommit): Promise<void>;
  /** Instances matching the query, ordered by (updatedAt, id). */
  list(query?: InstanceQuery): Promise<Page<SagaInstanceRecord>>;
  /** How many instances match, counted by the store: the total a filtered list shows. */
  countInstances(filter?: InstanceFilter): Promise<number>;
  /** How many instances are in each (saga, state, status). */
  countByState(sagaName?: string): Promise<readonly StateCount[]>;
  /** How many instances in each (saga, definition version, status). Optional: tools fall back to `list`. */
  countByVersion?(sagaName?: string): Promise<readonly VersionCount[]>;
  /**
   * An instance's journal, ordered by sequence: all of it, or with `query` one page, the last `limit`
   * rows before sequence `before` (a row's `sequence` is the version it wrote, so the instance's
   * `version` is how many rows there are).
   */
  history(instanceId: string, query?: HistoryQuery): Promise<readonly HistoryRecord[]>;
  /**
   * History rows of one kind across instances, newest first, one bounded page at a time (the audit
   * trail: `sagaflow.operator.*`). Rows of instances since removed are gone with them.
   */
  historyByType(query: HistoryByTypeQuery): Promise<Page<InstanceHistoryRecord>>;
  /** Per saga, what its instances did since `since` (sagas with nothing to show are left out), by saga name. */
  activitySince(since: Date): Promise<readonly SagaActivity[]>;
  /**
   * Removes finished instances (`completed`, `faulted`) whose `completedAt` is before `finishedBefore`,
   * with their history, at most `limit` of them. Safe to run in many processes at once: on PostgreSQL a
   * batch takes its rows `FOR UPDATE SKIP LOCKED`, so concurrent purgers take disjoint batches and an
   * instance a writer holds is left for a later batch. Call again until it removes fewer than `limit`.
   */
  purgeFinished(batch: PurgeBatch): Promise<PurgeResult>;
  /** Releases connections; the repository is unusable afterwards. */
  close?(): Promise<void>;

  /**
   * Stages messages that no instance write produced (an application publishing reliably, a service
   * replying to a command). Each entry is stored once: an `id` already staged is skipped.
   */
  stageOutbox(entries: readonly OutboxEntry[]): Promise<void>;
  /**
   * Claims up to `limit` messages whose `availableAt` is at or before `now`, oldest first, moving their
   * `availableAt` to `leaseUntil` and counting the attempt. Concurrent relays never claim the same
   * message while its lease runs. With `{ leaseMs }` instead of `now` and `leaseUntil`, the store's own
   * clock decides (the database's, for PostgreSQL), so processes whose clocks drift agree on what is due.
   */
  claimOutbox(options: ClaimOptions): Promise<readonly OutboxMessage[]>;
  /** Removes delivered messages. Unknown ids are ignored (another relay got there first). */
  markSent(ids: readonly string[]): Promise<void>;
  /** How many messages wait in the outbox (delivered ones are gone). */
  outboxSize(): Promise<number>;

  addDeadLetter(letter: DeadLetter): Promise<void>;
  getDeadLetter(id: string): Promise<DeadLetter | null>;
  listDeadLetters(query?: DeadLetterQuery): Promise<Page<DeadLetter>>;
  /** How many dead letters match, counted by the store (a dashboard's tile, without listing them). */
  countDeadLetters(query?: DeadLetterCountQuery): Promise<number>;
  /** Dead letters per (reason, message type, saga), counted by the store, largest groups first. */
  countDeadLettersBy(): Promise<readonly DeadLetterGroupCount[]>;
  /** Records a failed replay: `replays` + 1, the new error, `updatedAt`. False when it is gone. */
  updateDeadLetter(id: string, update: { readonly errorCode: string; readonly errorMessage: string; readonly at: Date }): Promise<boolean>;
  /** False when there was no such letter. */
  deleteDeadLetter(id: string): Promise<boolean>;

  /**
   * Takes a command for one handler attempt: records it `running` with attempts 1 and a lease if it is
   * new, or counts one more attempt and renews the lease if it is running and its lease ran out (its
   * process died). Otherwise says whether it is finished or busy, and changes nothing.
   */
  claimCommand(claim: {
    readonly envelope: Envelope;
    readonly target: string | null;
    readonly now: Date;
    readonly leaseUntil: Date;
  }): Promise<CommandClaim>;
  /** Counts the next attempt of a running command and renews its lease. False when it is not running. */
  renewCommand(id: string, update: { readonly attempts: number; readonly leaseUntil: Date; readonly now: Date }): Promise<boolean>;
  /**
   * Records a running command's outcome and stages its messages, atomically. False (and nothing staged)
   * when it is not running: another process finished it first.
   */
  finishCommand(finish: CommandFinish): Promise<boolean>;
  /**
   * Claims up to `limit` running commands whose lease ran out before `now`, oldest first, for recovery:
   * only commands of `types` whose target is `group` or none, so a process never holds commands it
   * cannot run.
   */
  claimExpiredCommands(options: ExpiredCommandClaim): Promise<readonly CommandRecord[]>;
  findCommand(id: string): Promise<CommandRecord | null>;
  listCommands(query?: CommandQuery): Promise<Page<CommandRecord>>;
}
