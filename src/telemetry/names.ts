/**
 * @module telemetry/names
 * The fixed vocabulary of Sagaflow's telemetry: span names, attribute keys and metric names. Messaging
 * attributes follow the OpenTelemetry messaging semantic conventions; what only a saga has is under
 * `sagaflow.*`. Dashboards and alerts key on these strings, so they are frozen and change only with a
 * major version.
 */

/** The `name` and `version` of the tracer and meter (instrumentation scope). */
export const INSTRUMENTATION_SCOPE = 'sagaflow';

/**
 * Attribute keys on Sagaflow's spans and metrics.
 *
 * @example
 * const processed = spans.filter((s) => s.attributes[SagaflowAttributes.SagaName] === 'order');
 */
export const SagaflowAttributes = Object.freeze({
  MessagingSystem: 'messaging.system',
  MessagingOperationName: 'messaging.operation.name',
  MessagingOperationType: 'messaging.operation.type',
  MessagingMessageId: 'messaging.message.id',
  /** The envelope's correlation id (the saga instance's, when it has one). */
  MessagingConversationId: 'messaging.message.conversation_id',
  /** The message type. */
  MessagingDestination: 'messaging.destination.name',
  SagaName: 'sagaflow.saga.name',
  InstanceId: 'sagaflow.instance.id',
  CorrelationId: 'sagaflow.correlation.id',
  StateBefore: 'sagaflow.state.before',
  StateAfter: 'sagaflow.state.after',
  Status: 'sagaflow.status',
  /** `applied`, `duplicate`, `ignored`, `failed` or `dead-lettered`. */
  Outcome: 'sagaflow.outcome',
  IgnoreReason: 'sagaflow.ignore.reason',
  CompensationStep: 'sagaflow.compensation.step',
  CompensationAttempt: 'sagaflow.compensation.attempt',
  CommitKind: 'sagaflow.commit.kind',
  Repository: 'sagaflow.repository',
  RetryReason: 'sagaflow.retry.reason',
  RetryAttempt: 'sagaflow.retry.attempt',
  DeadLetterReason: 'sagaflow.dead_letter.reason',
  DbSystem: 'db.system.name',
  ErrorType: 'error.type',
});

/**
 * Metric names. Counters count events; the histogram is in seconds.
 *
 * @example
 * const processed = metrics.find((m) => m.descriptor.name === SagaflowMetrics.EventsProcessed);
 */
export const SagaflowMetrics = Object.freeze({
  /** Messages handled, per saga, type and outcome. */
  EventsProcessed: 'sagaflow.events.processed',
  /** Version conflicts (another writer won the race), per saga and type. */
  Conflicts: 'sagaflow.conflicts',
  /** Attempts scheduled again, per saga, type and reason (`conflict`, `transient`, `action`). */
  Retries: 'sagaflow.retries',
  /** Messages stored as dead letters, per reason. */
  DeadLetters: 'sagaflow.dead_letters',
  /** Compensation runs, per saga and outcome (`completed`, `failed`). */
  Compensations: 'sagaflow.compensations',
  /** Time from taking a message to its outcome, per saga, type and outcome. */
  ProcessDuration: 'sagaflow.process.duration',
});

/**
 * The names of the child spans (the consumer and producer spans are `process <type>` and `send <type>`).
 *
 * @example
 * const steps = spans.filter((s) => s.name.startsWith(`${SagaflowSpans.Compensate} `));
 */
export const SagaflowSpans = Object.freeze({
  Transition: 'sagaflow.transition',
  Persist: 'sagaflow.persist',
  /** Followed by a space and the step's name. */
  Compensate: 'sagaflow.compensate',
});

/** What became of a message, as `sagaflow.outcome` reports it. */
export type ProcessOutcome = 'applied' | 'duplicate' | 'ignored' | 'failed' | 'dead-lettered';

/** The destination attribute for a type no saga handles: unbounded values must not become metric series. */
export const OTHER_TYPE = '_OTHER';
