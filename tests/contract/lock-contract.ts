/**
 * The `lockInstance` part of the repository contract (`runRepositoryContract` runs it for every store):
 * an instance held from its read to its commit, so that writers of it queue instead of colliding.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../src/errors/concurrency-error.ts';
import { DuplicateMessageError } from '../../src/errors/duplicate-message-error.ts';
import type { SagaRepository } from '../../src/repository/types.ts';
import { insertOf, makeInstance, updateOf, withMessageId } from '../helpers/records.ts';

/** Long enough for a write that is not blocked to have finished on a busy machine. */
const SETTLE_MS = 150;

/** A promise and whether it has settled yet. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; readonly settled: boolean } {
  const tracked = { promise, settled: false };
  promise.then(
    () => (tracked.settled = true),
    () => (tracked.settled = true),
  );
  return tracked;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runLockContract(repository: () => SagaRepository, sagaName: () => string): void {
  describe('lockInstance', () => {
    const insert = async () => {
      const instance = makeInstance({ sagaName: sagaName() });
      await repository().commit(insertOf(instance));
      return instance;
    };
    const lock = (correlationId: string) => repository().lockInstance!(sagaName(), correlationId);

    it('is offered', () => {
      expect(typeof repository().lockInstance).toBe('function');
    });

    it('reads the instance under the lock; its commit applies and ends the lock', async () => {
      const v1 = await insert();
      const held = await lock(v1.correlationId);
      expect(held.record).toEqual(v1);
      const { commit, next } = updateOf(v1, { state: 'Held' });
      await held.commit(commit);
      await held.release(); // nothing: the commit ended it
      expect(await repository().findById(v1.id)).toEqual(next);
      await expect(held.commit(updateOf(next).commit)).rejects.toBeInstanceOf(TypeError);
      const again = await lock(v1.correlationId); // not held any more
      expect(again.record?.version).toBe(2);
      await again.release();
    });

    it('makes a commit from elsewhere wait for the holder, then fail its version check', async () => {
      const v1 = await insert();
      const held = await lock(v1.correlationId);
      const elsewhere = track(repository().commit(updateOf(v1, { state: 'Elsewhere' }).commit));
      await pause(SETTLE_MS);
      expect(elsewhere.settled).toBe(false);
      const { commit, next } = updateOf(v1, { state: 'Holder' });
      await held.commit(commit);
      await expect(elsewhere.promise).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await repository().findById(v1.id)).toEqual(next);
    });

    it('queues a second lock until the first ends; it then reads what the first wrote', async () => {
      const v1 = await insert();
      const first = await lock(v1.correlationId);
      const second = track(lock(v1.correlationId));
      await pause(SETTLE_MS);
      expect(second.settled).toBe(false);
      const { commit, next } = updateOf(v1, { state: 'First' });
      await first.commit(commit);
      const held = await second.promise;
      expect(held.record).toEqual(next);
      await held.commit(updateOf(next, { state: 'Second' }).commit);
      expect((await repository().findById(v1.id))?.state).toBe('Second');
    });

    it('writes nothing on release, and a waiting commit then applies', async () => {
      const v1 = await insert();
      const held = await lock(v1.correlationId);
      const { commit, next } = updateOf(v1, { state: 'Elsewhere' });
      const elsewhere = track(repository().commit(commit));
      await pause(SETTLE_MS);
      expect(elsewhere.settled).toBe(false);
      await held.release();
      await held.release();
      await elsewhere.promise;
      expect(await repository().findById(v1.id)).toEqual(next);
    });

    it('refuses a message the instance already applied with DuplicateMessageError, and ends the lock', async () => {
      const v1 = await insert();
      const first = updateOf(v1);
      await repository().commit(first.commit);
      const held = await lock(v1.correlationId);
      if (first.commit.kind === 'delete') throw new TypeError('an update');
      const redelivered = withMessageId(updateOf(first.next).commit, first.commit.history.messageId);
      await expect(held.commit(redelivered)).rejects.toBeInstanceOf(DuplicateMessageError);
      const again = await lock(v1.correlationId);
      expect(again.record).toEqual(first.next);
      await again.release();
    });

    it('answers null for an instance that does not exist; an insert through the lock applies', async () => {
      const instance = makeInstance({ sagaName: sagaName() });
      const held = await lock(instance.correlationId);
      expect(held.record).toBeNull();
      await held.commit(insertOf(instance));
      expect(await repository().findById(instance.id)).toEqual(instance);
    });
  });
}
