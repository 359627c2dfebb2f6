/**
 * What every store's `historyByType` guarantees (the audit trail's query): rows of one event-type
 * prefix across instances, newest first, in keyset pages, the prefix taken literally, with the saga and
 * correlation id of each row's instance. Each implementation runs it in a line.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../src/errors/invalid-cursor-error.ts';
import type { SagaInstanceRecord, SagaRepository } from '../../src/repository/types.ts';
import { insertOf, makeHistory, makeInstance } from '../helpers/records.ts';
import type { MakeRepository } from './repository-contract.ts';

export function runHistoryByTypeContract(name: string, make: MakeRepository): void {
  describe(`SagaRepository.historyByType: ${name}`, () => {
    let repo: SagaRepository;
    let saga: string;
    let n = 0;
    let cleanup: (() => Promise<void>) | undefined;
    beforeEach(async () => {
      ({ repository: repo, cleanup } = await make());
      saga = `audit-${Date.now().toString(36)}-${n++}`;
    });
    afterEach(async () => {
      await cleanup?.();
    });

    /** Appends a row of `type` at `at` to `from`, returning the new record. */
    const append = async (from: SagaInstanceRecord, type: string, at: Date): Promise<SagaInstanceRecord> => {
      const next = { ...from, version: from.version + 1, updatedAt: at };
      await repo.commit({ kind: 'update', instance: next, expectedVersion: from.version, history: makeHistory(next, { eventType: type, at, payload: { type } }) });
      return next;
    };

    it('lists the rows of a prefix across instances newest first, in pages that neither skip nor repeat', async () => {
      const t0 = Date.parse('2026-01-01T00:00:00.000Z');
      let a = makeInstance({ sagaName: saga, updatedAt: new Date(t0) });
      let b = makeInstance({ sagaName: saga, updatedAt: new Date(t0) });
      await repo.commit(insertOf(a));
      await repo.commit(insertOf(b));
      a = await append(a, 'sagaflow.operator.cancel', new Date(t0 + 1000));
      b = await append(b, 'OrderPaid', new Date(t0 + 2000));
      b = await append(b, 'sagaflow.operator.transition', new Date(t0 + 3000));
      a = await append(a, 'sagaflow.operatorish', new Date(t0 + 4000));
      // Same instant on two instances: the order is still total (instance id, then sequence).
      a = await append(a, 'sagaflow.operator.send', new Date(t0 + 5000));
      b = await append(b, 'sagaflow.operator.send', new Date(t0 + 5000));

      const all = await repo.historyByType({ eventTypePrefix: 'sagaflow.operator.', sagaName: saga, limit: 100 });
      expect(all.nextCursor).toBeNull();
      expect(all.items.map((r) => r.eventType)).toEqual(['sagaflow.operator.send', 'sagaflow.operator.send', 'sagaflow.operator.transition', 'sagaflow.operator.cancel']);
      expect(all.items.map((r) => r.at.getTime())).toEqual([t0 + 5000, t0 + 5000, t0 + 3000, t0 + 1000]);
      const cancel = all.items[3]!;
      expect(cancel).toMatchObject({ instanceId: a.id, sagaName: saga, correlationId: a.correlationId, sequence: 2, payload: { type: 'sagaflow.operator.cancel' } });

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await repo.historyByType({ eventTypePrefix: 'sagaflow.operator.', sagaName: saga, limit: 1, ...(cursor !== undefined && { cursor }) });
        expect(page.items.length).toBeLessThanOrEqual(1);
        seen.push(...page.items.map((r) => `${r.instanceId}/${r.sequence}`));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor !== undefined && pages < 10);
      expect(seen).toEqual(all.items.map((r) => `${r.instanceId}/${r.sequence}`));
    });

    it('takes the prefix literally: % and _ are no wildcards', async () => {
      let a = makeInstance({ sagaName: saga });
      await repo.commit(insertOf(a));
      a = await append(a, 'sagaflowXoperator.cancel', new Date());
      a = await append(a, 'sagaflow_operator.cancel', new Date());
      const page = await repo.historyByType({ eventTypePrefix: 'sagaflow_', sagaName: saga });
      expect(page.items.map((r) => r.eventType)).toEqual(['sagaflow_operator.cancel']);
      expect((await repo.historyByType({ eventTypePrefix: 'sagaflow%', sagaName: saga })).items).toEqual([]);
    });

    it('refuses a cursor no listing handed out', async () => {
      await expect(repo.historyByType({ eventTypePrefix: 'x', cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(InvalidCursorError);
    });
  });
}
