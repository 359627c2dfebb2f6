/**
 * @module runtime/apply-event
 * One attempt at applying an event to one saga: load (or create) the instance, pick the handler, run its
 * chain, and commit state, data, version, compensation stack and history in one conditional write. A
 * `ConcurrencyError` escapes to the caller, which reloads and tries again; anything else that fails
 * before the commit leaves the store untouched.
 */
import { ActionError } from '../errors/action-error.ts';
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { DuplicateMessageError } from '../errors/duplicate-message-error.ts';
import { InstanceNotFoundError } from '../errors/instance-not-found-error.ts';
import { UnhandledEventError } from '../errors/unhandled-event-error.ts';
import { INITIAL_STATE } from '../dsl/activities.ts';
import type { InstanceInfo } from '../dsl/context.ts';
import type { CompiledEvent, CompiledHandler, CompiledSaga } from '../core/compiled-saga.ts';
import type { Envelope } from '../messages/envelope.ts';
import { uuidv7 } from '../messages/uuid-v7.ts';
import { SagaStatus, type LockedInstance, type SagaCommit, type SagaInstanceRecord, type ScheduleEntry } from '../repository/types.ts';
import { planSchedules, SCHEDULE_KEY_HEADER, type ScheduleOp, type SchedulePlan } from './schedules.ts';
import { compositeOps, planJoins, type JoinPlan } from './joins.ts';
import { resumeCompensation, runCompensation } from './compensation-runner.ts';
import { writeMigration } from './migrate-on-load.ts';
import { EventContext } from './event-context.ts';
import { checkDataForWrite, hydrateData } from './hydrate.ts';
import type { SagaOutcome } from './outcome.ts';
import { runActivities } from './run-activities.ts';
import { answeredRequest } from './requests.ts';
import { sentMessages } from './sent-messages.ts';
import type { RuntimeDeps } from './runtime-deps.ts';

const NO_STACK: SagaInstanceRecord['compensation'] = Object.freeze([]);
const FRESH = Object.freeze({ fresh: true });
const ASSUME_ABSENT = Object.freeze({ assumeAbsent: true });

/** Thrown (and caught by the orchestrator, which reads again with `fresh`) when a no-write decision rested on a possibly cached read. */
export class StaleReadSignal extends Error {}
const NO_SCHEDULES: readonly ScheduleEntry[] = Object.freeze([]);
const NO_OPS: readonly ScheduleOp[] = Object.freeze([]);

export async function applyEvent(
  deps: RuntimeDeps,
  saga: CompiledSaga,
  event: CompiledEvent,
  envelope: Envelope,
  payload: unknown,
  correlationId: string,
  fresh = false,
  locked?: LockedInstance,
): Promise<SagaOutcome> {
  // An event that starts instances usually finds none: a repository that can may then skip the read and
  // let the insert's uniqueness check tell (a null here is then an assumption, proven or refuted by the write).
  // Under a lock (a retry after a conflict) the instance was read with the lock, fresh.
  const assumed = !fresh && locked === undefined && event.startsInstance && deps.repository.assumesAbsence === true;
  let record = locked
    ? locked.record
    : await deps.repository.findByCorrelation(saga.name, correlationId, fresh ? FRESH : assumed ? ASSUME_ABSENT : undefined);
  // Written by another definition version: migrate it first, in a write of its own (or refuse a newer one).
  if (record !== null && record.dataVersion !== saga.definition.dataVersion) {
    // The migration writes through the repository, which would wait for the lock this call holds.
    await locked?.release();
    locked = undefined;
    record = await migrateOnLoad(deps, saga, record);
  }
  const now = deps.clock.now();
  // A write is version-checked, so a stale read only costs a retry; a decision to write nothing is not,
  // so it must not rest on a cached copy another process may have outdated, nor on an assumed absence.
  const mayBeStale = !fresh && locked === undefined && (record === null ? assumed : deps.repository.cachesReads === true);

  // A scheduled message applies only while the instance still holds its token: a cancelled or
  // superseded schedule (or one for an instance that is gone) is dropped, never fired.
  const fired = envelope.headers[SCHEDULE_KEY_HEADER] === undefined ? undefined : envelope.messageId;
  if (fired !== undefined && !record?.schedules?.some((e) => e.token === fired)) {
    if (mayBeStale) throw new StaleReadSignal();
    return { saga: saga.name, correlationId, result: 'ignored', reason: 'stale-schedule', ...(record && { state: record.state }) };
  }

  // An answer to a request applies only while the instance waits for that very request.
  const answered = answeredRequest(envelope, payload, record?.schedules);
  if (answered === 'stale') {
    if (mayBeStale) throw new StaleReadSignal();
    return { saga: saga.name, correlationId, result: 'ignored', reason: 'stale-response', ...(record && { state: record.state }) };
  }

  if (record === null && !event.startsInstance) {
    if (event.missingInstance === 'ignore') return { saga: saga.name, correlationId, result: 'ignored', reason: 'missing-instance' };
    throw new InstanceNotFoundError(saga.name, correlationId, envelope.type);
  }

  const state = record?.state ?? INITIAL_STATE;
  const version = record?.version ?? 0;
  const data = record ? hydrateData(saga, record) : saga.definition.initialData();
  const instance: InstanceInfo = {
    id: record?.id ?? uuidv7(now),
    sagaName: saga.name,
    correlationId,
    state,
    version,
    isNew: record === null,
  };
  const stack = record?.compensation ?? NO_STACK;
  const ctx = new EventContext(saga, envelope, payload, data, instance, stack.length, () => deps.clock.now());
  // The answer settles its request: the timeout is cancelled in this same write (first, so the handler
  // may send a new request under the same key).
  if (answered !== undefined) ctx.unschedule(answered);

  let handler: CompiledHandler | undefined;
  // An instance an operator cancelled is finished, whatever its state: nothing handles events any more.
  const cancelled = record?.status === SagaStatus.Faulted && record.error?.cancelled === true;
  try {
    handler = cancelled ? undefined : selectHandler(saga.table.get(state)?.get(envelope.type), ctx);
  } catch (error) {
    throw new ActionError(saga.name, correlationId, state, envelope.type, error, record?.id);
  }
  if (handler === undefined) {
    if (mayBeStale) throw new StaleReadSignal();
    if (event.unhandled === 'ignore') return { saga: saga.name, correlationId, result: 'ignored', reason: 'unhandled', state };
    // A redelivered message usually finds the instance past the state that handled it: that is a
    // duplicate to acknowledge, not an error. Checked only here, on the way to failing.
    // Nothing will be written: let the instance go before reading on another connection.
    await locked?.release();
    if (record && (await alreadyApplied(deps, record.id, envelope.messageId))) {
      return { saga: saga.name, correlationId, result: 'duplicate', instanceId: record.id };
    }
    throw new UnhandledEventError(saga.name, correlationId, state, envelope.type, record?.id);
  }
  if (handler.ignore) {
    if (mayBeStale) throw new StaleReadSignal();
    return { saga: saga.name, correlationId, result: 'ignored', reason: 'ignored', state };
  }

  try {
    const pending = runActivities(handler.activities, ctx);
    if (pending !== undefined) await pending;
  } catch (error) {
    throw new ActionError(saga.name, correlationId, state, envelope.type, error, record?.id);
  }

  const nextData = checkDataForWrite(saga, instance.id, correlationId, ctx.data);
  const nextState = ctx.target ?? state;
  const final = saga.finalStates.has(nextState);
  let nextStack = ctx.added ? Object.freeze([...stack, ...ctx.added]) : stack;
  const compensating = ctx.compensateRequested && nextStack.length > 0;
  if (compensating) {
    // Claim the first step in this same write, so a crash right after it is resumed, not forgotten.
    const top = nextStack[nextStack.length - 1]!;
    nextStack = Object.freeze([...nextStack.slice(0, -1), Object.freeze({ ...top, attempts: top.attempts + 1 })]);
  }
  const status = nextStatus(record?.status, compensating, ctx.compensateRequested, final);
  // A constituent of a join counts where it arrived; a finished instance waits for nothing more.
  const joinPlan: JoinPlan | undefined = final ? undefined : planJoins(saga.joins.get(envelope.type), record?.joins, envelope.type, state);
  let ops = ctx.scheduleOps ?? NO_OPS;
  let plan: SchedulePlan;
  try {
    if (joinPlan?.completed.length) ops = [...ops, ...compositeOps(joinPlan.completed, nextData, now)];
    plan = planSchedules({
      saga,
      correlationId,
      causationId: envelope.messageId,
      previous: record?.schedules ?? NO_SCHEDULES,
      fired,
      stateBefore: record ? state : null,
      stateAfter: nextState,
      final,
      ops,
      data: nextData,
      now,
    });
  } catch (error) {
    // A timeout's, deadline's or join's payload function threw, or made a payload its schema refuses.
    throw new ActionError(saga.name, correlationId, state, envelope.type, error, record?.id);
  }
  const schedules = plan.schedules ?? record?.schedules;
  const at = new Date(now);
  const next: SagaInstanceRecord = {
    id: instance.id,
    sagaName: saga.name,
    correlationId,
    state: nextState,
    data: nextData,
    dataVersion: saga.definition.dataVersion,
    version: version + 1,
    status,
    compensation: nextStack,
    error: compensating ? null : (record?.error ?? null),
    // Always present (undefined for none): one object shape for every record, on the hot path.
    schedules: schedules?.length ? schedules : undefined,
    joins: final ? undefined : joinPlan ? joinPlan.joins : record?.joins,
    createdAt: record?.createdAt ?? at,
    updatedAt: at,
    completedAt: status === SagaStatus.Completed || status === SagaStatus.Faulted ? at : null,
  };
  const history = {
    instanceId: instance.id,
    sequence: next.version,
    messageId: envelope.messageId,
    eventType: envelope.type,
    stateBefore: record ? state : null,
    stateAfter: nextState,
    payload,
    at,
    sent: sentMessages(ctx.outgoing, plan.outbox),
  };
  const removed = status === SagaStatus.Completed && saga.definition.removeOnCompletion;
  const outgoing = ctx.outgoing;
  const staged = deps.outbox.stage(outgoing);
  // Scheduled messages wait in the outbox until due; they are not delivered with the others.
  const outbox = plan.outbox.length ? [...(staged ?? []), ...plan.outbox] : staged;
  const cancelOutbox = plan.cancel.length ? plan.cancel : undefined;
  const commit: SagaCommit =
    record === null
      ? { kind: 'insert', instance: next, history, outbox }
      : removed
        ? { kind: 'delete', instance: next, expectedVersion: version, outbox, cancelOutbox }
        : { kind: 'update', instance: next, expectedVersion: version, history, outbox, cancelOutbox };
  try {
    if (removed && record === null) {
      // Created and completed by one event: no instance to keep, only its messages. No write checks an
      // assumed absence on this path, so a read confirms it.
      if (mayBeStale && (await deps.repository.findByCorrelation(saga.name, correlationId, FRESH)) !== null) {
        throw new StaleReadSignal();
      }
      await locked?.release();
      if (outbox) await deps.repository.stageOutbox(outbox);
    } else {
      // Under a lock the commit goes through it, in its transaction, and ends it.
      await deps.telemetry.commit(locked ?? deps.repository, commit);
    }
  } catch (error) {
    if (error instanceof DuplicateMessageError) {
      return { saga: saga.name, correlationId, result: 'duplicate', instanceId: record?.id };
    }
    // The instance existed after all (created elsewhere, or not in this process's cache): not a lost
    // race to back off from, just a read to do now.
    if (error instanceof ConcurrencyError && commit.kind === 'insert' && mayBeStale) throw new StaleReadSignal();
    throw error;
  }

  if (outgoing.length) deps.outbox.deliver(outgoing, staged);
  if (plan.outbox.length) deps.outbox.scheduled(plan.outbox);
  if (!deps.observers.empty) {
    const info = { saga: saga.name, instance: next, from: record ? state : null, to: nextState, envelope };
    if (record === null) deps.observers.notify('created', info);
    deps.observers.notify('transitioned', info);
    if (status === SagaStatus.Completed || status === SagaStatus.Faulted) {
      deps.observers.notify('completed', { saga: saga.name, instance: next });
    }
    if (ctx.compensateRequested && !compensating) deps.observers.notify('compensated', { saga: saga.name, instance: next, steps: 0 });
  }

  const outcome = {
    saga: saga.name,
    correlationId,
    result: 'applied' as const,
    instanceId: instance.id,
    created: record === null,
    stateBefore: state,
    state: nextState,
    status,
    version: removed ? 0 : next.version,
  };
  if (!compensating) return outcome;
  const { last, ...report } = await runCompensation(deps, saga, next, nextData, envelope.messageId);
  return {
    ...outcome,
    status: last?.status ?? SagaStatus.Compensating,
    version: last?.version ?? next.version,
    compensation: report,
  };
}

/**
 * The lazy path: the same migration write `sagaflow instances migrate` makes. A migration that says
 * "compensate now" unwinds the stack here, before the event is applied to what is left.
 */
async function migrateOnLoad(deps: RuntimeDeps, saga: CompiledSaga, stored: SagaInstanceRecord): Promise<SagaInstanceRecord | null> {
  const migrated = await writeMigration(deps.repository, saga, stored, new Date(deps.clock.now()));
  if (migrated.status !== SagaStatus.Compensating || stored.status === SagaStatus.Compensating) return migrated;
  await resumeCompensation(deps, saga, migrated, hydrateData(saga, migrated));
  return deps.repository.findById(migrated.id);
}

async function alreadyApplied(deps: RuntimeDeps, instanceId: string, messageId: string): Promise<boolean> {
  const history = await deps.repository.history(instanceId);
  return history.some((h) => h.messageId === messageId);
}

function selectHandler(handlers: readonly CompiledHandler[] | undefined, ctx: EventContext): CompiledHandler | undefined {
  if (handlers === undefined) return undefined;
  for (const h of handlers) if (h.guard === undefined || h.guard(ctx)) return h;
  return undefined;
}

function nextStatus(
  previous: SagaStatus | undefined,
  compensating: boolean,
  compensateRequested: boolean,
  final: boolean,
): SagaStatus {
  if (compensating) return SagaStatus.Compensating;
  // A pending compensation (running elsewhere, or failed and waiting for a retry) is not forgotten.
  if (previous === SagaStatus.Compensating || previous === SagaStatus.CompensationFailed) return previous;
  if (final) return compensateRequested ? SagaStatus.Faulted : SagaStatus.Completed;
  return SagaStatus.Active;
}
