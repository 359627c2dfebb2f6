/**
 * The in-memory store keeps history rows in chunks outside the heap, and a chunk goes only when all its
 * rows do: a purge of most instances would otherwise leave the chunks of the few long-lived ones
 * holding everything. Past 16 MiB released (and more released than live), the store rewrites the live
 * rows into new chunks. This test purges enough for that and reads every live history back.
 */
import { describe, expect, it } from 'vitest';
import { InMemorySagaRepository } from '../../src/repository/in-memory-saga-repository.ts';
import type { HistoryRecord, SagaInstanceRecord } from '../../src/repository/types.ts';
import { makeHistory, makeInstance, updateOf } from '../helpers/records.ts';

const blob = (tag: string) => `${tag}:${'ß'.repeat(15_000)}`; // 30 KB of UTF-8

describe('InMemorySagaRepository: history after a large purge', () => {
  it('keeps every row of the live instances, in order, after purging 36 MB of finished ones', async () => {
    const repo = new InMemorySagaRepository();
    const old = new Date(Date.now() - 86_400_000);
    const long: SagaInstanceRecord[] = [];
    const written = new Map<string, HistoryRecord[]>();
    for (let k = 0; k < 2; k++) {
      const instance = makeInstance({ correlationId: `long-${k}` });
      const history = makeHistory(instance, { payload: { blob: blob(`long-${k}-1`) } });
      await repo.commit({ kind: 'insert', instance, history });
      long.push(instance);
      written.set(instance.id, [history]);
    }
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 20; i++) {
        const instance = makeInstance({ correlationId: `short-${round}-${i}` });
        await repo.commit({ kind: 'insert', instance, history: makeHistory(instance, { payload: { blob: blob('short') } }) });
        const done = updateOf(instance, { status: 'completed', state: 'Done', completedAt: old });
        await repo.commit({ ...done.commit, history: makeHistory(done.next, { payload: { blob: blob('short') } }) } as never);
      }
      for (const [k, instance] of long.entries()) {
        const step = updateOf(instance);
        const history = makeHistory(step.next, { payload: { blob: blob(`long-${k}-${step.next.version}`) } });
        await repo.commit({ ...step.commit, history } as never);
        long[k] = step.next;
        written.get(instance.id)!.push(history);
      }
    }
    let purged = 0;
    for (let batch = await repo.purgeFinished({ finishedBefore: new Date(), limit: 500 }); batch.instances > 0; batch = await repo.purgeFinished({ finishedBefore: new Date(), limit: 500 })) {
      purged += batch.instances;
    }
    expect(purged).toBe(600);
    for (const instance of long) {
      const expected = written.get(instance.id)!;
      const history = await repo.history(instance.id);
      expect(history).toHaveLength(31);
      expect(history.map((h) => [h.sequence, h.messageId, (h.payload as { blob: string }).blob])).toEqual(
        expected.map((h) => [h.sequence, h.messageId, (h.payload as { blob: string }).blob]),
      );
      // The inbox still knows every message, and the next write still applies.
      await expect(repo.commit({ ...updateOf(instance).commit, history: { ...makeHistory(updateOf(instance).next), messageId: expected[3]!.messageId } } as never)).rejects.toMatchObject({ code: 'SAGA_DUPLICATE_MESSAGE' });
      await repo.commit(updateOf(instance).commit);
      expect(await repo.history(instance.id)).toHaveLength(32);
    }
  });
});
