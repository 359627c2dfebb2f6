/**
 * A hot instance in memory: several orchestrators sharing one store (as processes share a database)
 * send events for ONE instance at once. After a conflict the retry holds the instance
 * (`lockInstance`), so even a conflict budget of 2 attempts loses nothing.
 */
import { describe, expect, it } from 'vitest';
import { InMemorySagaRepository, SagaOrchestrator, type LockedInstance, type SagaRepository } from '../../src/index.ts';
import { CounterSaga, expectEveryIncrementAppliedOnce, Incremented, Started } from '../helpers/counter-saga.ts';
import { interleavingRepository } from '../helpers/faulty-repository.ts';

/** The shared store, yielding between read and write so writers really interleave, and counting locks. */
function sharedStore() {
  const inner = new InMemorySagaRepository();
  const store = interleavingRepository(inner);
  let locks = 0;
  const repository: SagaRepository = {
    ...store,
    lockInstance: async (sagaName: string, correlationId: string): Promise<LockedInstance> => {
      locks++;
      return inner.lockInstance(sagaName, correlationId);
    },
  };
  return { repository, store, locks: () => locks };
}

describe('a hot instance shared by several orchestrators', () => {
  it('applies 4 × 50 concurrent events exactly once each with only 2 attempts allowed, by locking after a conflict', async () => {
    const { repository, store, locks } = sharedStore();
    const orchestrators = Array.from({ length: 4 }, () => new SagaOrchestrator({ sagas: [CounterSaga], repository, conflictRetry: { maxAttempts: 2 } }));
    await orchestrators[0]!.publish(Started, {}, { correlationId: 'hot' });
    const increments = Array.from({ length: 200 }, (_, i) => i + 1);
    const results = await Promise.allSettled(
      increments.map((by, i) => orchestrators[i % 4]!.publish(Incremented, { by }, { correlationId: 'hot' })),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(store.conflicts).toBeGreaterThan(0); // the orchestrators really raced
    expect(locks()).toBeGreaterThan(0);
    await expectEveryIncrementAppliedOnce(repository, 'hot', increments);
  });

  it('never locks an instance nobody else writes', async () => {
    const { repository, locks } = sharedStore();
    const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], repository });
    await orchestrator.publish(Started, {}, { correlationId: 'quiet' });
    const increments = Array.from({ length: 50 }, (_, i) => i + 1);
    await Promise.all(increments.map((by) => orchestrator.publish(Incremented, { by }, { correlationId: 'quiet' })));
    await expectEveryIncrementAppliedOnce(repository, 'quiet', increments);
    expect(locks()).toBe(0);
  });
});
