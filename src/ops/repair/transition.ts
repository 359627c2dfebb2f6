/**
 * @module ops/repair/transition
 *
 * Moving an instance to a declared state by hand, optionally patching its data: the pure part. It
 * refuses a state the saga does not declare (`UndeclaredStateError`) and data the saga's schema refuses
 * (`InstanceDataError`), and plans the schedules as an event entering that state would: the timeout of
 * the state left is cancelled, the one of the state entered is set, all are cancelled in a final state.
 */
import type { CompiledSaga } from '../../core/compiled-saga.ts';
import { INITIAL_STATE } from '../../dsl/activities.ts';
import { RepairRefusedError } from '../../errors/repair-refused-error.ts';
import { UndeclaredStateError } from '../../errors/undeclared-state-error.ts';
import { SagaStatus, type OutboxEntry, type SagaInstanceRecord } from '../../repository/types.ts';
import { checkDataForWrite, hydrateData } from '../../runtime/hydrate.ts';
import { planSchedules } from '../../runtime/schedules.ts';

export interface TransitionRequest {
  /** A state the saga declares (not `Initial`). */
  readonly state: string;
  /** Top-level fields to set in the instance's data; the result must pass the saga's data schema. */
  readonly patch?: Readonly<Record<string, unknown>> | undefined;
}

export interface TransitionPlan {
  readonly next: SagaInstanceRecord;
  readonly outbox: readonly OutboxEntry[];
  readonly cancelOutbox: readonly string[];
}

/**
 * @example
 * const { next } = planTransition(saga, record, { state: 'Shipped', patch: { trackingId: 't-1' } }, causationId, Date.now());
 */
export function planTransition(saga: CompiledSaga, record: SagaInstanceRecord, request: TransitionRequest, causationId: string, now: number): TransitionPlan {
  if (request.state === INITIAL_STATE || !saga.states.includes(request.state)) {
    throw new UndeclaredStateError(saga.name, request.state, saga.states.filter((s) => s !== INITIAL_STATE));
  }
  // A compensation is running (here or in a worker): moving the instance under it would race the runner.
  if (record.status === SagaStatus.Compensating) {
    throw new RepairRefusedError(record.id, 'transition', 'its compensation is running; wait for it, or cancel it to end faulted');
  }
  const current = hydrateData(saga, record) as Record<string, unknown>;
  const patched = request.patch === undefined ? current : { ...current, ...request.patch };
  const data = checkDataForWrite(saga, record.id, record.correlationId, patched);
  const final = saga.finalStates.has(request.state);
  const plan = planSchedules({
    saga,
    correlationId: record.correlationId,
    causationId,
    previous: record.schedules ?? [],
    fired: undefined,
    stateBefore: record.state,
    stateAfter: request.state,
    final,
    ops: [],
    data,
    now,
  });
  const at = new Date(now);
  const schedules = plan.schedules ?? record.schedules;
  // A failed compensation stays pending (retry it, or cancel); otherwise the state decides the status.
  const status = record.status === SagaStatus.CompensationFailed ? record.status : final ? SagaStatus.Completed : SagaStatus.Active;
  const next: SagaInstanceRecord = {
    ...record,
    state: request.state,
    data,
    dataVersion: saga.definition.dataVersion,
    version: record.version + 1,
    status,
    schedules: schedules?.length ? schedules : undefined,
    joins: final ? undefined : record.joins,
    updatedAt: at,
    completedAt: status === SagaStatus.Completed ? at : null,
  };
  return { next, outbox: plan.outbox, cancelOutbox: plan.cancel };
}
