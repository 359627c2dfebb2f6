/**
 * @module ops
 *
 * Operating sagas: the queries and actions behind the CLI, the HTTP API and the dashboard
 * (`SagaOperations`), the change feed behind live updates, diagrams (Mermaid, DOT, XState JSON), and an
 * orchestrator suited to operator processes.
 */
export { SagaOperations } from './saga-operations.ts';
export type { SagaOperationsOptions, SagaOverview, InstanceFilter, DeadLetterFilter, ReplayResult, PageView } from './saga-operations.ts';
export { ChangeFeed } from './change-feed.ts';
export type { ChangeFeedOptions, FeedEvent } from './change-feed.ts';
export { renderDiagram, machineConfig, DIAGRAM_FORMATS } from './diagram.ts';
export type { DiagramFormat } from './diagram.ts';
export { toDot } from './to-dot.ts';
export { parseDuration, formatDuration } from './duration.ts';
export { operatorOrchestrator, RelayHandOffBus, HANDED_TO_RELAY } from './operator-orchestrator.ts';
export { toSummary, toInstanceView, toHistoryEntry, toDeadLetterView, toDeadLetterSummaryView, toJsonValue } from './views.ts';
export type {
  InstanceSummary,
  InstanceView,
  InstanceDetail,
  HistoryEntryView,
  SentMessageView,
  DeadLetterView,
  DeadLetterSummaryView,
} from './views.ts';
export { RepairOperations, OPERATOR_HEADER } from './repair/repair-operations.ts';
export type { RepairResult, SendRequest, Expected } from './repair/repair-operations.ts';
export { OPERATOR_EVENT_PREFIX, REPAIR_ACTIONS } from './repair/audit.ts';
export type { Actor, AuditRecord, InstanceSnapshot, RepairAction } from './repair/audit.ts';
export type { AuditEntryView, AuditQuery } from './repair/audit-trail.ts';
export { BulkOperations, MAX_BULK } from './repair/bulk.ts';
export type { BulkResult, BulkOptions, BulkItemOutcome, BulkInstanceAction, BulkLetterAction } from './repair/bulk.ts';
export type { BulkInstanceFilter } from './repair/bulk-filter.ts';
export type { TransitionRequest } from './repair/transition.ts';
export { searchInstances, storeFilter } from './search.ts';
export type { SearchFilter, SearchPage, SearchResult } from './search.ts';
export { findStuck, countStuck, STUCK_KINDS, DEFAULT_STUCK_AFTER_MS } from './stuck.ts';
export type { StuckKind, StuckPolicy, StuckQuery, StuckInstance, StuckReport } from './stuck.ts';
export { observeStuckInstances, STUCK_GAUGE } from './stuck-gauge.ts';
export type { StuckGaugeOptions } from './stuck-gauge.ts';
export { deadLetterCounts, throughput } from './console-stats.ts';
export type { DeadLetterCounts, ThroughputReport } from './console-stats.ts';
export { purge, RetentionService, DEFAULT_PURGE_BATCH } from './retention.ts';
export type { RetentionPolicy, PurgeReport, PurgeOptions, RetentionServiceOptions } from './retention.ts';
