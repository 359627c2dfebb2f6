/**
 * @module sagaflow
 * Typed saga state machines: define sagas with a MassTransit-style DSL over zod schemas, compile them to
 * XState v5, and run them with the SagaOrchestrator over a repository with optimistic versioning and a
 * durable LIFO compensation stack.
 *
 * Optional parts live behind subpath exports so that the core imports none of them:
 * `sagaflow/prisma` (PostgreSQL and embedded PGlite persistence).
 */
export { defineEvent, defineCommand } from './messages/message-definition.ts';
export type {
  MessageDefinition,
  EventDefinition,
  CommandDefinition,
  MessageKind,
  PayloadOf,
  InputOf,
  CommandOptions,
  CommandPolicy,
} from './messages/message-definition.ts';
export type { CommandOutcomes, OutcomeKind } from './messages/command-outcomes.ts';
export { CommandProcessor, DEFAULT_COMMAND_LEASE_MS } from './commands/command-processor.ts';
export type { CommandProcessorOptions, CommandRunResult } from './commands/command-processor.ts';
export { followUp } from './commands/command-handler.ts';
export type { CommandContext, CommandHandler, CommandChain, FollowUp, HandleOptions } from './commands/command-handler.ts';
export { TARGET_HEADER } from './commands/headers.ts';
export { REQUEST_HEADER, requestKey } from './runtime/requests.ts';
export * from './graph/index.ts';
export { createEnvelope, assertEnvelope } from './messages/envelope.ts';
export type { Envelope, EnvelopeHeaders, EnvelopeOptions } from './messages/envelope.ts';
export { uuidv7 } from './messages/uuid-v7.ts';

export { defineSaga, Saga } from './dsl/saga.ts';
export type {
  SagaOptions,
  EventOptions,
  Policy,
  SagaDefinition,
  CompensationHandler,
  AnySaga,
  TimedEvent,
  TimedEventOptions,
} from './dsl/saga.ts';
export type { JoinOptions, JoinSpec } from './dsl/join.ts';
export { defineCompensation } from './dsl/compensation-definition.ts';
export type { CompensationDefinition } from './dsl/compensation-definition.ts';
export type {
  ActionContext,
  GuardContext,
  CatchContext,
  CompensationContext,
  CompensationApi,
  InstanceInfo,
  OutgoingOptions,
  ScheduleTiming,
  ScheduleOptions,
  RequestOptions,
  Guard,
  Action,
  ErrorClass,
} from './dsl/context.ts';
export type { StateBinder, EventBinder, BranchBinder } from './dsl/binder.ts';
export type { Activity, HandlerSpec } from './dsl/activities.ts';
export { INITIAL_STATE, FINAL_STATE } from './dsl/activities.ts';

export type { CompiledSaga, CompiledHandler, CompiledEvent } from './core/compiled-saga.ts';
export type { Edge } from './core/edges.ts';
export { toMermaid } from './core/to-mermaid.ts';
export { FAULT_EVENT } from './core/to-machine.ts';
export type { SagaMachine, SagaMachineEvent } from './core/to-machine.ts';

export { SagaOrchestrator, NOT_COMPENSATING, DEFAULT_MAX_PAYLOAD_BYTES } from './runtime/orchestrator.ts';
export type { SagaOrchestratorOptions, SagaInstance, ReceiveResult } from './runtime/orchestrator.ts';
export { OutboxRelay } from './runtime/outbox-relay.ts';
export type { OutboxRelayOptions, RelayPass } from './runtime/outbox-relay.ts';
export { DEFAULT_OUTBOX_LEASE_MS } from './runtime/outbox-delivery.ts';
export type { OutboxOptions } from './runtime/outbox-delivery.ts';
export { DeadLetters, DEAD_LETTER_NOT_FOUND } from './runtime/dead-letters.ts';
export { isTruncated } from './runtime/bounded-letter.ts';
export type { TruncatedValue } from './runtime/bounded-letter.ts';
export { StaleSweeper } from './runtime/stale-sweeper.ts';
export type { StaleSweeperOptions, SweepResult } from './runtime/stale-sweeper.ts';
export { SCHEDULE_KEY_HEADER, SCHEDULE_SAGA_HEADER, DEADLINE_KEY, timeoutKey } from './runtime/schedules.ts';
export type { SagaObserver, TransitionInfo } from './runtime/observers.ts';
export type { DispatchResult, SagaOutcome, IgnoreReason, CompensationReport } from './runtime/outcome.ts';
export type { CompensationRun } from './runtime/compensation-runner.ts';
export { COMPENSATION_STEP, COMPENSATION_FAILED_EVENT, COMPENSATION_RETRY } from './runtime/compensation-runner.ts';
export type { ConflictRetryPolicy, RetryPolicy } from './runtime/retry-policy.ts';
export { DEFAULT_CONFLICT_RETRY, NO_RETRY, retryDelay } from './runtime/retry-policy.ts';
export { readIncoming } from './messages/incoming.ts';

export { InMemorySagaRepository } from './repository/in-memory-saga-repository.ts';
export { SagaStatus, DeadLetterReason, CommandStatus } from './repository/types.ts';
export type {
  SagaRepository,
  SagaInstanceRecord,
  HistoryRecord,
  CompensationEntry,
  InstanceError,
  SagaCommit,
  LockedInstance,
  InstanceQuery,
  Page,
  StateCount,
  SortOrder,
  ReadOptions,
  OutboxEntry,
  OutboxMessage,
  ClaimOptions,
  DeadLetter,
  DeadLetterQuery,
  DeadLetterCountQuery,
  HistoryQuery,
  ScheduleEntry,
  JoinProgress,
  SentMessage,
  CommandRecord,
  CommandClaim,
  CommandFinish,
  CommandQuery,
  VersionCount,
  DeadLetterGroupCount,
  SagaActivity,
  PurgeBatch,
  PurgeResult,
} from './repository/types.ts';
export { encodeCursor, decodeCursor } from './repository/cursor.ts';
export { parseDataCondition, DATA_OPERATORS, FILTER_LIMITS } from './repository/instance-filter.ts';
// `InstanceFilter` at the root is the operations layer's (saga, staleForMs, …); the store's is this one.
export type { InstanceFilter as StoreInstanceFilter, DataCondition, DataOperator, DataScalar } from './repository/instance-filter.ts';

export { InProcessBus } from './bus/in-process-bus.ts';
export type { MessageBus, MessageHandler } from './bus/message-bus.ts';

export { systemClock } from './clock/clock.ts';
export type { Clock } from './clock/clock.ts';
export { FakeClock } from './clock/fake-clock.ts';

export * from './errors/index.ts';

// Evolving sagas while instances are in flight: versions, migrations, the deploy gate (docs/evolution.md).
export { MIGRATED_EVENT, MIGRATION_FAULT } from './evolution/migration.ts';
export type { SagaMigration, SagaMigrations, StateTarget, MigrationChange } from './evolution/migration.ts';
export { migrateInstance, needsMigration, type MigrationResult } from './evolution/migrate-instance.ts';
export { instanceProblems, isLive, type InstanceProblem, type InstanceProblemKind } from './evolution/check-instance.ts';
export { checkSagas, summarize, type CheckReport, type SagaCheck, type ProblemSummary } from './evolution/check-report.ts';
export { writeMigration, type MigratedPayload } from './runtime/migrate-on-load.ts';
export { migrateInstances, type MigrateInstancesOptions, type SagaMigrationReport } from './ops/migrate-instances.ts';

export * from './host/index.ts';

export * from './telemetry/index.ts';

// Operating sagas: the queries and actions behind the CLI, the HTTP API (`sagaflow/http`) and the dashboard.
// The operator's console: search, stuck instances, at-a-glance counts, retention (docs/operations.md).
export {
  searchInstances,
  findStuck,
  countStuck,
  observeStuckInstances,
  STUCK_GAUGE,
  deadLetterCounts,
  throughput,
  purge,
  RetentionService,
} from './ops/index.ts';
export type { SearchFilter, SearchPage, SearchResult, StuckPolicy, StuckQuery, StuckInstance, StuckReport, StuckKind, DeadLetterCounts, ThroughputReport, RetentionPolicy, PurgeReport } from './ops/index.ts';
export { SagaOperations, ChangeFeed, renderDiagram, machineConfig, toDot, parseDuration, formatDuration, operatorOrchestrator, RelayHandOffBus, DIAGRAM_FORMATS } from './ops/index.ts';
export type {
  SagaOperationsOptions,
  SagaOverview,
  InstanceFilter,
  DeadLetterFilter,
  ReplayResult,
  PageView,
  ChangeFeedOptions,
  FeedEvent,
  DiagramFormat,
  InstanceSummary,
  InstanceView,
  InstanceDetail,
  HistoryEntryView,
  SentMessageView,
  DeadLetterView,
} from './ops/index.ts';

// An operator's repairs and their audit trail (`SagaOperations.repair`, docs/operations.md, "Repairs").
export { RepairOperations, BulkOperations, OPERATOR_EVENT_PREFIX, OPERATOR_HEADER, REPAIR_ACTIONS, MAX_BULK } from './ops/index.ts';
export type { Actor, AuditRecord, AuditEntryView, AuditQuery, BulkInstanceFilter, BulkResult, BulkOptions, BulkItemOutcome, RepairAction, RepairResult, TransitionRequest } from './ops/index.ts';

// Exported histories (`sagaflow export`, docs/replay.md): replayed through a new definition by
// `replayHistories()` in `sagaflow/testing`.
export { exportHistories } from './ops/export-histories.ts';
export type { ExportFilter } from './ops/export-histories.ts';
export { HistoryLine, HISTORY_FORMAT_VERSION, parseHistoryLines, parseHistoryLine, toHistoryLine } from './replay/history-line.ts';
export type { HistoryStepLine } from './replay/history-line.ts';
