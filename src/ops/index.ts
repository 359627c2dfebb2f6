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
