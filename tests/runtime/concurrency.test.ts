import { delegate } from '../helpers/faulty-repository.ts';
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  InMemorySagaRepository,
  RetriesExhaustedError,
  SagaOrchestrator,
  type SagaCommit,
  type SagaRepository,
} from '../../src/index.ts';
import { CounterSaga, expectEveryIncrementAppliedOnce, Incremented, Started } from '../helpers/counter-saga.ts';
import { interleavingRepository } from '../helpers/faulty-repository.ts';

describe('optimistic concurrency', () => {
  it('applies 64 concurrent events for one instance exactly once each, in some serial order, without a conflict in one process', async () => {
    const repository = interleavingRepository(new InMemorySagaRepository());
    const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], repository });
    await orchestrator.publish(Started, {}, { correlationId: 'hot' });
    const increments = Array.from({ length: 64 }, (_, i) => i + 1);
    await Promise.all(increments.map((by) => orchestrator.publish(Incremented, { by }, { correlationId: 'hot' })));
    await expectEveryIncrementAppliedOnce(repository, 'hot', increments);
    // Events for one instance are queued in process, so they never race each other for a version.
    expect(repository.conflicts).toBe(0);
    expect(repository.commits).toBe(65);
  });

  it('retries version conflicts between two orchestrators sharing a store until 60 concurrent events are all applied', async () => {
    const shared = interleavingRepository(new InMemorySagaRepository());
    const a = new SagaOrchestrator({ sagas: [CounterSaga], repository: shared, conflictRetry: { maxAttempts: 100 } });
    const b = new SagaOrchestrator({ sagas: [CounterSaga], repository: shared, conflictRetry: { maxAttempts: 100 } });
    await a.publish(Started, {}, { correlationId: 'contended' });
    const increments = Array.from({ length: 60 }, (_, i) => i + 1);
    await Promise.all(
      increments.map((by, i) => (i % 2 ? a : b).publish(Incremented, { by }, { correlationId: 'contended' })),
    );
    expect(shared.conflicts).toBeGreaterThan(0); // the test really raced
    await expectEveryIncrementAppliedOnce(shared, 'contended', increments);
  });

  it('creates one instance when two orchestrators start the same correlation id at once, and applies the other event to it', async () => {
    const shared = interleavingRepository(new InMemorySagaRepository());
    const a = new SagaOrchestrator({ sagas: [CounterSaga], repository: shared });
    const b = new SagaOrchestrator({ sagas: [CounterSaga], repository: shared });
    const [ra, rb] = await Promise.all([
      a.publish(Started, { by: 5 }, { correlationId: 'twin' }),
      b.publish(Started, { by: 7 }, { correlationId: 'twin' }),
    ]);
    const created = [ra, rb].map((r) => r.outcomes[0]!).filter((o) => o.result === 'applied' && o.created);
    expect(created).toHaveLength(1);
    // The loser reloaded, found the instance, and its Started was applied to it (here: ignored by duringAny).
    const loser = [ra, rb].map((r) => r.outcomes[0]!).find((o) => !(o.result === 'applied' && o.created))!;
    expect(loser).toMatchObject({ result: 'ignored', reason: 'ignored', state: 'Counting' });
    expect(shared.conflicts).toBe(1);
    expect((await shared.list({ sagaName: 'counter' })).items).toHaveLength(1);
  });

  it('gives up with RetriesExhaustedError after the configured attempts and writes nothing', async () => {
    const inner = new InMemorySagaRepository();
    let attempts = 0;
    const alwaysConflicting: SagaRepository = {
      ...delegate(inner),
      commit: async (commit: SagaCommit) => {
        if (commit.kind === 'insert') return inner.commit(commit);
        attempts++;
        throw new ConcurrencyError('counter', commit.instance.correlationId, 1, 'test');
      },
    };
    const orchestrator = new SagaOrchestrator({
      sagas: [CounterSaga],
      repository: alwaysConflicting,
      conflictRetry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await orchestrator.publish(Started, {}, { correlationId: 'stuck' });
    const error = await orchestrator.publish(Incremented, { by: 1 }, { correlationId: 'stuck' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(4);
    expect((error as RetriesExhaustedError).cause).toBeInstanceOf(ConcurrencyError);
    expect(attempts).toBe(4);
    expect((await inner.findByCorrelation('counter', 'stuck'))!.version).toBe(1);
  });

  it('keeps events for different instances independent', async () => {
    const repository = new InMemorySagaRepository();
    const orchestrator = new SagaOrchestrator({ sagas: [CounterSaga], repository });
    const ids = Array.from({ length: 20 }, (_, i) => `i-${i}`);
    await Promise.all(ids.map((id) => orchestrator.publish(Started, {}, { correlationId: id })));
    await Promise.all(ids.flatMap((id) => [1, 2, 3].map((by) => orchestrator.publish(Incremented, { by }, { correlationId: id }))));
    for (const id of ids) await expectEveryIncrementAppliedOnce(repository, id, [1, 2, 3]);
  });
});
