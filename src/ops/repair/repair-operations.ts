/**
 * @module ops/repair/repair-operations
 *
 * An operator's repairs, each with a required reason, version-checked, and recorded: `send` an event to
 * one instance (through the orchestrator's normal path, so guards, actions and compensation apply),
 * `transition` it to a declared state (optionally patching its data), `cancel` it (compensate now, end
 * `faulted`), retry its failed compensation, replay or discard a dead letter. Each leaves an audit row
 * (`ops/repair/audit`) in the instance's history. Shared by the HTTP API, the CLI and the dashboard
 * through `SagaOperations.repair`.
 */
import type { Clock } from '../../clock/clock.ts';
import { ConcurrencyError } from '../../errors/concurrency-error.ts';
import { DeadLetterNotFoundError } from '../../errors/dead-letter-not-found-error.ts';
import { NotFoundError } from '../../errors/not-found-error.ts';
import { OrchestratorRequiredError } from '../../errors/orchestrator-required-error.ts';
import { UnknownEventError } from '../../errors/unknown-event-error.ts';
import { createEnvelope } from '../../messages/envelope.ts';
import { uuidv7 } from '../../messages/uuid-v7.ts';
import type { SagaInstanceRecord } from '../../repository/types.ts';
import { SCHEDULE_SAGA_HEADER } from '../../runtime/schedules.ts';
import type { PageView, ReplayResult, SagaOperations } from '../saga-operations.ts';
import { toJsonValue, toSummary, type InstanceSummary } from '../views.ts';
import { appendAudit, auditRow, checkActor, snapshotOf, type Actor, type AuditRecord } from './audit.ts';
import { auditTrail, type AuditEntryView, type AuditQuery } from './audit-trail.ts';
import { BulkOperations } from './bulk.ts';
import { planCancel } from './cancel.ts';
import { planTransition, type TransitionRequest } from './transition.ts';

/** The header that names the principal on an event an operator sent (the outbox and traces show it). */
export const OPERATOR_HEADER = 'sagaflow-operator';

/** The version the operator saw: the repair is refused (`ConcurrencyError`) when the instance moved on. */
export interface Expected {
  readonly expectedVersion?: number | undefined;
}

export interface RepairResult {
  readonly instance: InstanceSummary | null;
  /** The audit record written; null when the instance is gone (it removed itself on finishing). */
  readonly audit: AuditRecord | null;
}

export interface SendRequest extends Expected {
  readonly type: string;
  readonly payload: unknown;
}

/**
 * @example
 * const actor = { principal: 'cli:ana', reason: 'payment confirmed by phone' };
 * await ops.repair.send(id, { type: 'PaymentReceived', payload: { orderId: 'o-1' } }, actor);
 * await ops.repair.transition(id, { state: 'Shipped', patch: { trackingId: 't-9' }, expectedVersion: 4 }, actor);
 * await ops.repair.cancel(id, {}, actor);
 */
export class RepairOperations {
  readonly #ops: SagaOperations;
  readonly #clock: Clock;
  /** The same repairs over every instance or dead letter a filter matches, with a dry run and a confirmed count. */
  readonly bulk: BulkOperations;

  constructor(ops: SagaOperations, clock: Clock) {
    this.#ops = ops;
    this.#clock = clock;
    this.bulk = new BulkOperations(ops.repository, this);
  }

  /** Operators' actions across instances, newest first (`sagaflow audit`, `GET /api/audit`). */
  auditTrail(query: AuditQuery = {}): Promise<PageView<AuditEntryView>> {
    return auditTrail(this.#ops.repository, query);
  }

  /** Moves an instance to a declared state, with an optional data patch; one version-checked write. */
  async transition(id: string, request: TransitionRequest & Expected, actor: Partial<Actor>): Promise<RepairResult> {
    const who = checkActor('transition', actor);
    const record = await this.#load(id, request);
    const now = this.#clock.now();
    const plan = planTransition(this.#ops.saga(record.sagaName), record, request, uuidv7(now), now);
    const audit: AuditRecord = {
      action: 'transition',
      ...who,
      before: snapshotOf(record),
      after: snapshotOf(plan.next),
      details: toJsonValue({ state: request.state, ...(request.patch !== undefined && { patch: request.patch }) }),
    };
    await this.#ops.repository.commit({
      kind: 'update',
      instance: plan.next,
      expectedVersion: record.version,
      history: auditRow(record, plan.next, audit, plan.next.updatedAt),
      outbox: plan.outbox,
      cancelOutbox: plan.cancelOutbox,
    });
    return { instance: toSummary(plan.next), audit };
  }

  /**
   * Compensates now and ends `faulted`. The cancel is one version-checked write; the compensation run
   * that follows is the orchestrator's (needs one when there is anything to compensate), and resumes
   * wherever it stops, still ending `faulted`.
   */
  async cancel(id: string, request: Expected, actor: Partial<Actor>): Promise<RepairResult & { readonly steps: number; readonly error: unknown }> {
    const who = checkActor('cancel', actor);
    const record = await this.#load(id, request);
    const plan = planCancel(record, who, this.#clock.now());
    const orchestrator = this.#ops.orchestrator;
    if (plan.compensate && !orchestrator) throw new OrchestratorRequiredError('cancelling an instance with compensation steps');
    const audit: AuditRecord = { action: 'cancel', ...who, before: snapshotOf(record), after: snapshotOf(plan.next) };
    await this.#ops.repository.commit({
      kind: 'update',
      instance: plan.next,
      expectedVersion: record.version,
      history: auditRow(record, plan.next, audit, plan.next.updatedAt),
      cancelOutbox: plan.cancelOutbox,
    });
    if (!plan.compensate || !orchestrator) return { instance: toSummary(plan.next), audit, steps: 0, error: null };
    const run = await orchestrator.retryCompensation(record.sagaName, record.correlationId);
    return { instance: run.last && toSummary(run.last), audit, steps: run.steps, error: run.error ? toJsonValue(run.error) : null };
  }

  /**
   * Delivers an event to this one instance: validated by the event's schema, then dispatched through
   * the orchestrator (for this saga only, correlated to this instance), so the saga decides what it does.
   */
  async send(id: string, request: SendRequest, actor: Partial<Actor>): Promise<RepairResult & { readonly outcome: unknown }> {
    const who = checkActor('send', actor);
    const record = await this.#load(id, request);
    const saga = this.#ops.saga(record.sagaName);
    const event = saga.events.get(request.type);
    if (!event) throw new UnknownEventError(request.type, [...saga.events.keys()]);
    const payload = event.message.parse(request.payload); // ValidationError before anything is sent
    const orchestrator = this.#ops.orchestrator;
    if (!orchestrator) throw new OrchestratorRequiredError('sending an event');
    const envelope = createEnvelope('event', request.type, payload, {
      correlationId: record.correlationId,
      headers: { [SCHEDULE_SAGA_HEADER]: saga.name, [OPERATOR_HEADER]: who.principal },
    }, new Date(this.#clock.now()));
    const result = await orchestrator.dispatch(envelope);
    const outcome = toJsonValue(result.outcomes[0] ?? null);
    const audit = await appendAudit(
      this.#ops.repository,
      record.id,
      { action: 'send', ...who, before: snapshotOf(record), details: { type: request.type, payload: toJsonValue(payload), messageId: envelope.messageId, outcome } },
      () => this.#clock.now(),
    );
    const after = await this.#ops.repository.findById(record.id);
    return { instance: after && toSummary(after), audit, outcome };
  }

  /** `SagaOperations.retryCompensation`, recorded. */
  async retryCompensation(id: string, actor: Partial<Actor>): Promise<RepairResult & { readonly steps: number; readonly error: unknown }> {
    const who = checkActor('retry-compensation', actor);
    const before = await this.#ops.repository.findById(id);
    const run = await this.#ops.retryCompensation(id);
    const audit = await appendAudit(
      this.#ops.repository,
      id,
      { action: 'retry-compensation', ...who, before: snapshotOf(before), details: { steps: run.steps, error: run.error } },
      () => this.#clock.now(),
    );
    return { instance: run.instance, audit, steps: run.steps, error: run.error };
  }

  /** `SagaOperations.replayDeadLetter`, recorded in the history of the instance the letter names (if any). */
  async replayDeadLetter(id: string, actor: Partial<Actor>): Promise<{ readonly result: ReplayResult; readonly audit: AuditRecord | null }> {
    const who = checkActor('replay-dead-letter', actor);
    const letter = await this.#ops.repository.getDeadLetter(id);
    if (!letter) throw new DeadLetterNotFoundError(id);
    const before = letter.instanceId === null ? null : await this.#ops.repository.findById(letter.instanceId);
    const result = await this.#ops.replayDeadLetter(id);
    const audit = await this.#auditLetter(before, { action: 'replay-dead-letter', ...who, before: snapshotOf(before), details: letterDetails(letter, result) });
    return { result, audit };
  }

  /** `SagaOperations.discardDeadLetter`, recorded likewise. */
  async discardDeadLetter(id: string, actor: Partial<Actor>): Promise<{ readonly discarded: true; readonly audit: AuditRecord | null }> {
    const who = checkActor('discard-dead-letter', actor);
    const letter = await this.#ops.repository.getDeadLetter(id);
    if (!letter) throw new DeadLetterNotFoundError(id);
    const before = letter.instanceId === null ? null : await this.#ops.repository.findById(letter.instanceId);
    await this.#ops.discardDeadLetter(id);
    const audit = await this.#auditLetter(before, { action: 'discard-dead-letter', ...who, before: snapshotOf(before), details: letterDetails(letter) });
    return { discarded: true, audit };
  }

  async #auditLetter(instance: SagaInstanceRecord | null, record: Omit<AuditRecord, 'after'>): Promise<AuditRecord | null> {
    // A letter refused before any instance was involved (malformed, unknown type) has no history to hold it.
    if (instance === null) return null;
    return appendAudit(this.#ops.repository, instance.id, record, () => this.#clock.now());
  }

  /** The instance, checked against the version the operator saw. */
  async #load(id: string, expected: Expected): Promise<SagaInstanceRecord> {
    const record = await this.#ops.repository.findById(id);
    if (!record) throw new NotFoundError(id);
    if (expected.expectedVersion !== undefined && expected.expectedVersion !== record.version) {
      throw new ConcurrencyError(record.sagaName, record.correlationId, expected.expectedVersion, `it is at version ${record.version} now; look again`);
    }
    return record;
  }
}

function letterDetails(letter: { readonly id: string; readonly messageType: string | null; readonly reason: string }, result?: ReplayResult): unknown {
  return toJsonValue({ deadLetter: letter.id, messageType: letter.messageType, reason: letter.reason, ...(result && { result }) });
}
