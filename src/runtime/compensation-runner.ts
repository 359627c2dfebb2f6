/**
 * @module runtime/compensation-runner
 * Unwinds an instance's compensation stack, last registered first. Each finished step is popped in its
 * own conditional write, which also claims the next step (its `attempts` grows), so a crash resumes at the
 * step that was running and never repeats a finished one. A step that throws is retried by the saga's
 * `compensationRetry` policy; when that gives up, the run stops and leaves the instance in
 * `compensation_failed`, with the step still on top, until `retryCompensation`.
 *
 * Precondition: the stored record is `compensating` and its top entry is claimed by this runner.
 */
import { CompensationError, UnknownCompensationError } from '../errors/compensation-error.ts';
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { DuplicateMessageError } from '../errors/duplicate-message-error.ts';
import { SagaStatus, type CompensationEntry, type OutboxEntry, type SagaInstanceRecord, type SentMessage } from '../repository/types.ts';
import type { CompiledSaga } from '../core/compiled-saga.ts';
import type { CompensationContext, InstanceInfo } from '../dsl/context.ts';
import { Outbox } from './event-context.ts';
import type { CompensationReport } from './outcome.ts';
import type { RuntimeDeps } from './runtime-deps.ts';
import { uuidv7 } from '../messages/uuid-v7.ts';
import { retryDelay, sleep } from './retry-policy.ts';
import { sentMessages } from './sent-messages.ts';
import { durably } from './durable-write.ts';
import { storableText } from '../core/storable.ts';

export interface CompensationRun extends CompensationReport {
  /** The instance as this run last wrote it; `null` when another runner took over. */
  readonly last: SagaInstanceRecord | null;
}

export const COMPENSATION_STEP = 'sagaflow.compensation.step';
export const COMPENSATION_FAILED_EVENT = 'sagaflow.compensation.failed';
export const COMPENSATION_RETRY = 'sagaflow.compensation.retry';

export async function runCompensation(
  deps: RuntimeDeps,
  saga: CompiledSaga,
  start: SagaInstanceRecord,
  data: unknown,
  causationId: string,
): Promise<CompensationRun> {
  let current = start;
  let steps = 0;
  for (;;) {
    const top = current.compensation[current.compensation.length - 1];
    if (!top) return { steps, last: current };
    const policy = saga.definition.compensationRetry ?? deps.compensationRetry;
    let outbox: Outbox;
    let failure: unknown;
    for (let retry = 0; ; retry++) {
      // A fresh outbox per attempt: only the attempt that succeeded sends anything.
      outbox = new Outbox(current.correlationId, causationId, () => deps.clock.now());
      failure = undefined;
      try {
        const attempt = top.attempts + retry;
        await deps.telemetry.compensate(saga.name, current, top, attempt, () => runStep(deps, saga, current, top, data, outbox, attempt));
        break;
      } catch (error) {
        failure = error ?? new Error(`compensation step '${top.name}' threw ${String(error)}`);
      }
      const delay = retryDelay(policy, retry + 1);
      if (delay === null) break;
      await sleep(delay);
    }
    if (failure !== undefined) {
      const error = new CompensationError(saga.name, current.correlationId, top.name, failure);
      const failed = await popOrFail(deps, saga, current, top, error, undefined);
      if (failed) {
        deps.observers.notify('compensationFailed', { saga: saga.name, instance: failed, step: top.name, error: failure });
        deps.telemetry.compensationFailed(saga.name, failed, top.name, failure);
      }
      return { steps, error, last: failed };
    }
    const messages = outbox.messages;
    const staged = deps.outbox.stage(messages);
    const next = await popOrFail(deps, saga, current, top, null, staged, sentMessages(messages));
    if (next === null) return { steps, last: null }; // another runner owns this instance now
    steps++;
    if (messages.length) deps.outbox.deliver(messages, staged);
    current = next;
    if (current.compensation.length === 0) {
      deps.observers.notify('compensated', { saga: saga.name, instance: current, steps });
      deps.telemetry.compensated(saga.name, current, steps);
      if (saga.finalStates.has(current.state)) deps.observers.notify('completed', { saga: saga.name, instance: current });
      return { steps, last: current };
    }
  }
}

async function runStep(
  deps: RuntimeDeps,
  saga: CompiledSaga,
  record: SagaInstanceRecord,
  entry: CompensationEntry,
  data: unknown,
  outbox: Outbox,
  attempt: number,
): Promise<void> {
  const spec = saga.compensations.get(entry.name);
  if (!spec) throw new UnknownCompensationError(saga.name, entry.name, [...saga.compensations.keys()]);
  const args = spec.schema.parse(entry.args);
  const instance: InstanceInfo = {
    id: record.id,
    sagaName: record.sagaName,
    correlationId: record.correlationId,
    state: record.state,
    version: record.version,
    isNew: false,
  };
  const ctx: CompensationContext<unknown> = {
    instance,
    data: data as Readonly<unknown>,
    attempt,
    publish: (m, p, o) => outbox.add(m, p, o),
    send: (m, p, o) => outbox.add(m, p, o),
    now: () => new Date(deps.clock.now()),
  };
  await spec.handler(args, ctx);
}

/**
 * Writes the result of one step: popped (and the next claimed), or failed. On a version conflict it
 * reloads and re-applies the write only if the same step is still on top; otherwise somebody else is
 * compensating this instance and this runner stops (returns null).
 */
async function popOrFail(
  deps: RuntimeDeps,
  saga: CompiledSaga,
  record: SagaInstanceRecord,
  step: CompensationEntry,
  error: CompensationError | null,
  outbox: readonly OutboxEntry[] | undefined,
  sent?: readonly SentMessage[],
): Promise<SagaInstanceRecord | null> {
  let current = record;
  let next = error ? failedRecord(deps, current, error) : poppedRecord(deps, saga, current);
  let messageId = uuidv7(deps.clock.now());
  for (let attempt = 1; attempt <= MAX_CONFLICTS; attempt++) {
    try {
      const write = (): Promise<void> =>
        !error && next.status === SagaStatus.Faulted && saga.definition.removeOnCompletion
          ? deps.repository.commit({ kind: 'delete', instance: next, expectedVersion: current.version, outbox })
          : deps.repository.commit({
              kind: 'update',
              instance: next,
              expectedVersion: current.version,
              history: {
                instanceId: current.id,
                sequence: next.version,
                messageId,
                eventType: error ? COMPENSATION_FAILED_EVENT : COMPENSATION_STEP,
                stateBefore: current.state,
                stateAfter: current.state,
                payload: error ? { step: step.name, args: step.args, error: storableText(error.message) } : { step: step.name, args: step.args },
                at: next.updatedAt,
                sent,
              },
              outbox,
            });
      // The step ran: its pop is written however long the store is away (until the process stops), the
      // very same write each time, so the inbox tells whether a try that failed had applied.
      await durably(write, deps.durable);
      return next;
    } catch (e) {
      // The same write, sent again after a failure that hid its outcome, had applied: done.
      if (e instanceof DuplicateMessageError) return next;
      if (!(e instanceof ConcurrencyError)) throw e;
      const reloaded = await durably(() => deps.repository.findById(current.id), deps.durable);
      const top = reloaded?.compensation[reloaded.compensation.length - 1];
      if (!reloaded || reloaded.status !== SagaStatus.Compensating || !top || top.name !== step.name || top.attempts !== step.attempts) {
        return null;
      }
      current = reloaded;
      next = error ? failedRecord(deps, current, error) : poppedRecord(deps, saga, current);
      messageId = uuidv7(deps.clock.now());
    }
  }
  return null;
}

/** Version conflicts on one step's result before the runner gives up (transient failures do not count). */
const MAX_CONFLICTS = 12;

/**
 * An operator cancelled the instance (`ops/repair/cancel`): its compensation ends it `faulted` in any
 * state. The mark lives in the stored record, so a run resumed by another process after a crash, or a
 * retry after a failed step, ends it the same way.
 */
function cancelMark(r: SagaInstanceRecord): SagaInstanceRecord['error'] {
  return r.error?.cancelled === true ? r.error : null;
}

function poppedRecord(deps: RuntimeDeps, saga: CompiledSaga, r: SagaInstanceRecord): SagaInstanceRecord {
  const rest = r.compensation.slice(0, -1);
  const done = rest.length === 0;
  if (!done) {
    const last = rest[rest.length - 1]!;
    rest[rest.length - 1] = { ...last, attempts: last.attempts + 1 };
  }
  const cancelled = cancelMark(r);
  const final = saga.finalStates.has(r.state) || cancelled !== null;
  const now = new Date(deps.clock.now());
  return {
    ...r,
    compensation: rest,
    status: done ? (final ? SagaStatus.Faulted : SagaStatus.Active) : SagaStatus.Compensating,
    error: cancelled,
    version: r.version + 1,
    updatedAt: now,
    completedAt: done && final ? now : null,
  };
}

function failedRecord(deps: RuntimeDeps, r: SagaInstanceRecord, error: CompensationError): SagaInstanceRecord {
  const now = new Date(deps.clock.now());
  return {
    ...r,
    status: SagaStatus.CompensationFailed,
    // What a step threw is recorded whatever it holds: a NUL in its message must not block the record.
    error: { code: error.code, message: storableText(error.message), step: error.step, at: now, ...(cancelMark(r) && { cancelled: true as const }) },
    version: r.version + 1,
    updatedAt: now,
  };
}

/** The record with its top step claimed for a new run (after a crash or a failure). */
export function claimedRecord(deps: RuntimeDeps, r: SagaInstanceRecord): SagaInstanceRecord {
  const stack = r.compensation.slice();
  const top = stack[stack.length - 1];
  if (top) stack[stack.length - 1] = { ...top, attempts: top.attempts + 1 };
  return {
    ...r,
    compensation: stack,
    status: SagaStatus.Compensating,
    error: cancelMark(r),
    version: r.version + 1,
    updatedAt: new Date(deps.clock.now()),
  };
}

/**
 * Claims the top step of a compensating (or failed) instance in a conditional write, then runs the
 * compensation: of several processes resuming the same instance, one proceeds (the others get
 * `ConcurrencyError`).
 */
export async function resumeCompensation(
  deps: RuntimeDeps,
  saga: CompiledSaga,
  record: SagaInstanceRecord,
  data: unknown,
): Promise<CompensationRun> {
  const claimed = claimedRecord(deps, record);
  await deps.repository.commit({
    kind: 'update',
    instance: claimed,
    expectedVersion: record.version,
    history: {
      instanceId: record.id,
      sequence: claimed.version,
      messageId: uuidv7(deps.clock.now()),
      eventType: COMPENSATION_RETRY,
      stateBefore: record.state,
      stateAfter: record.state,
      payload: { step: claimed.compensation[claimed.compensation.length - 1]?.name ?? null },
      at: claimed.updatedAt,
    },
  });
  return runCompensation(deps, saga, claimed, data, uuidv7(deps.clock.now()));
}
