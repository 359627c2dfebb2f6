import { describe, expect, it } from 'vitest';
import {
  ActionError,
  DefinitionError,
  InMemorySagaRepository,
  RetriesExhaustedError,
  retryDelay,
  SagaOrchestrator,
  SagaStatus,
  TransientStoreError,
  type SagaCommit,
  type SagaRepository,
} from '../../../src/index.ts';
import { delegate } from '../../helpers/faulty-repository.ts';
import { Cancelled, ShipRequested, shipmentSaga } from './shipment-saga.ts';

const FAST = { maxRetries: 3, immediateRetries: 1, initialDelayMs: 1, maxDelayMs: 4, jitterFactor: 0 } as const;

describe('retryDelay', () => {
  it('goes immediate first, then doubles from the initial delay up to the cap', () => {
    const policy = { maxRetries: 6, immediateRetries: 2, initialDelayMs: 100, maxDelayMs: 350, jitterFactor: 0 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelay(policy, n))).toEqual([0, 0, 100, 200, 350, 350, null]);
  });

  it('spreads each delay by the jitter factor, within its bounds', () => {
    const policy = { maxRetries: 1, initialDelayMs: 1000, jitterFactor: 0.2 };
    expect(retryDelay(policy, 1, () => 0)).toBe(800);
    expect(retryDelay(policy, 1, () => 0.5)).toBe(1000);
    expect(retryDelay(policy, 1, () => 0.999999)).toBe(1200);
  });

  it('has no retries with maxRetries 0', () => {
    expect(retryDelay({ maxRetries: 0 }, 1)).toBeNull();
  });

  it('rejects nonsense policies where they are declared', () => {
    expect(() => shipmentSaga({ retry: { maxRetries: -1 } }).saga.compiled).toThrow(DefinitionError);
    expect(() => shipmentSaga({ eventRetry: { maxRetries: 1, jitterFactor: 2 } }).saga.compiled).toThrow(/jitterFactor/);
    expect(() => new SagaOrchestrator({ sagas: [], retry: { maxRetries: 1.5 } })).toThrow(RangeError);
  });
});

describe('retrying failing actions', () => {
  it('retries a failing action by the saga policy and applies it once it succeeds', async () => {
    const { saga, probe } = shipmentSaga({ retry: FAST });
    const repository = new InMemorySagaRepository();
    const orchestrator = new SagaOrchestrator({ sagas: [saga], repository });
    const result = await orchestrator.publish(ShipRequested, { orderId: 'o-1', failTimes: 2 }, { correlationId: 'o-1' });
    expect(result.outcomes[0]).toMatchObject({ result: 'applied', state: 'Shipping', version: 1 });
    expect(probe.attempts.get('o-1')).toBe(3);
    const instance = await orchestrator.find(saga, 'o-1');
    expect(await repository.history(instance!.id)).toHaveLength(1);
  });

  it('gives up when the policy is exhausted, writing nothing', async () => {
    const { saga, probe } = shipmentSaga({ retry: FAST });
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    const error = await orchestrator.publish(ShipRequested, { orderId: 'o-2', failTimes: 99 }, { correlationId: 'o-2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 4, sagaName: 'shipment', correlationId: 'o-2' });
    expect((error as Error).cause).toBeInstanceOf(ActionError);
    expect(probe.attempts.get('o-2')).toBe(4);
    expect(await orchestrator.find(saga, 'o-2')).toBeNull();
  });

  it('lets an event override the saga policy, and the orchestrator default apply to sagas without one', async () => {
    const perEvent = shipmentSaga({ retry: { maxRetries: 0 }, eventRetry: FAST });
    const a = new SagaOrchestrator({ sagas: [perEvent.saga] });
    await a.publish(ShipRequested, { orderId: 'o-3', failTimes: 3 }, { correlationId: 'o-3' });
    expect(perEvent.probe.attempts.get('o-3')).toBe(4);

    const plain = shipmentSaga();
    const b = new SagaOrchestrator({ sagas: [plain.saga], retry: { maxRetries: 1 } });
    await b.publish(ShipRequested, { orderId: 'o-4', failTimes: 1 }, { correlationId: 'o-4' });
    expect(plain.probe.attempts.get('o-4')).toBe(2);
  });

  it('throws the action error itself when no retries are configured', async () => {
    const { saga, probe } = shipmentSaga();
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    await expect(orchestrator.publish(ShipRequested, { orderId: 'o-5', failTimes: 1 }, { correlationId: 'o-5' })).rejects.toBeInstanceOf(ActionError);
    expect(probe.attempts.get('o-5')).toBe(1);
  });

  it('retries transient store failures on the conflict budget, not the action budget', async () => {
    const { saga, probe } = shipmentSaga();
    const store = new InMemorySagaRepository();
    let failures = 2;
    const flaky: SagaRepository = {
      ...delegate(store),
      commit: async (commit: SagaCommit) => {
        if (failures-- > 0) throw new TransientStoreError('40001', new Error('could not serialize access'));
        await store.commit(commit);
      },
    };
    const orchestrator = new SagaOrchestrator({ sagas: [saga], repository: flaky, conflictRetry: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 } });
    const result = await orchestrator.publish(ShipRequested, { orderId: 'o-6' }, { correlationId: 'o-6' });
    expect(result.outcomes[0]).toMatchObject({ result: 'applied' });
    expect(probe.attempts.get('o-6')).toBe(3); // the action re-ran on each reload, with no action policy at all
  });
});

describe('retrying failing compensation steps', () => {
  it('retries a failing step by the policy and finishes the compensation', async () => {
    const { saga, probe } = shipmentSaga({ compensationRetry: FAST });
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    await orchestrator.publish(ShipRequested, { orderId: 'o-7' }, { correlationId: 'o-7' });
    probe.unshipFailures.set('o-7', 2);
    const result = await orchestrator.publish(Cancelled, { orderId: 'o-7' }, { correlationId: 'o-7' });
    expect(result.outcomes[0]).toMatchObject({ status: SagaStatus.Faulted, compensation: { steps: 1 } });
    expect(probe.unshipRuns.get('o-7')).toEqual([1, 2, 3]);
  });

  it('parks the instance when the policy gives up, and a replay resumes from the failed step', async () => {
    const { saga, probe } = shipmentSaga({ compensationRetry: { maxRetries: 1, initialDelayMs: 1, jitterFactor: 0 } });
    const orchestrator = new SagaOrchestrator({ sagas: [saga] });
    await orchestrator.publish(ShipRequested, { orderId: 'o-8' }, { correlationId: 'o-8' });
    probe.unshipFailures.set('o-8', 5);
    const result = await orchestrator.publish(Cancelled, { orderId: 'o-8' }, { correlationId: 'o-8' });
    expect(result.outcomes[0]).toMatchObject({ status: SagaStatus.CompensationFailed });
    expect(probe.unshipRuns.get('o-8')).toHaveLength(2);
    const parked = await orchestrator.find(saga, 'o-8');
    expect(parked).toMatchObject({ status: 'compensation_failed', error: { step: 'unship' } });
    expect(parked!.compensation.map((e) => e.name)).toEqual(['unship']);

    probe.unshipFailures.set('o-8', 0);
    const run = await orchestrator.retryCompensation(saga, 'o-8');
    expect(run.steps).toBe(1);
    expect(await orchestrator.find(saga, 'o-8')).toMatchObject({ status: 'faulted', compensation: [] });
    expect(probe.unshipRuns.get('o-8')).toHaveLength(3);
  });
});
