/**
 * The finding and retention contract: filtered lists and counts (data conditions, ranges, prefixes),
 * grouped dead-letter counts, per-saga activity and purge batches answer the same on every store.
 *
 *   runFindContract('in-memory', async () => ({ repository: new InMemorySagaRepository() }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidFilterError } from '../../src/errors/invalid-filter-error.ts';
import { parseDataCondition, type DataCondition, type InstanceFilter } from '../../src/repository/instance-filter.ts';
import type { SagaInstanceRecord, SagaRepository } from '../../src/repository/types.ts';
import { uuidv7 } from '../../src/messages/uuid-v7.ts';
import { insertOf, makeDeadLetter, makeHistory, makeInstance, updateOf } from '../helpers/records.ts';
import type { MakeRepository } from './repository-contract.ts';

const HOUR = 3_600_000;

export function runFindContract(name: string, make: MakeRepository): void {
  describe(`SagaRepository finding and retention: ${name}`, () => {
    let repo: SagaRepository;
    let cleanup: (() => Promise<void>) | undefined;
    let saga: string;
    let n = 0;
    beforeEach(async () => {
      ({ repository: repo, cleanup } = await make());
      saga = `find-${Date.now().toString(36)}-${n++}`;
    });
    afterEach(async () => {
      await cleanup?.();
    });

    const insert = async (overrides: Partial<SagaInstanceRecord> = {}) => {
      const instance = makeInstance({ sagaName: saga, ...overrides });
      await repo.commit(insertOf(instance));
      return instance;
    };
    const where = (...conditions: string[]) => conditions.map(parseDataCondition);
    /** Correlation ids of a filtered list (all of it), sorted, and the store's count: they must agree. */
    const found = async (filter: InstanceFilter) => {
      const page = await repo.list({ sagaName: saga, ...filter, limit: 1000 });
      const count = await repo.countInstances({ sagaName: saga, ...filter });
      const ids = page.items.map((i) => i.correlationId).sort();
      expect(count).toBe(ids.length);
      return ids;
    };

    it('filters by equality and ranges on data fields, nested and in arrays, and counts the same', async () => {
      await insert({ correlationId: 'a', data: { customerId: 'c-42', total: 150, vip: true, address: { city: 'oslo' }, items: [{ sku: 'x1' }] } });
      await insert({ correlationId: 'b', data: { customerId: 'c-42', total: 80, vip: false, address: { city: 'bergen' }, items: [] } });
      await insert({ correlationId: 'c', data: { customerId: 'c-7', total: '150', note: null } });
      await insert({ correlationId: 'd', data: { customerId: 'c-7', total: 100.5, tags: ['c-42'] } });
      expect(await found({ data: where('data.customerId = c-42') })).toEqual(['a', 'b']);
      expect(await found({ data: where('data.total > 100') })).toEqual(['a', 'd']); // the string "150" is no number
      expect(await found({ data: where('data.total >= 80', 'data.total < 150') })).toEqual(['b', 'd']);
      expect(await found({ data: where('data.total = "150"') })).toEqual(['c']);
      expect(await found({ data: where('data.vip = true') })).toEqual(['a']);
      expect(await found({ data: where('data.note = null') })).toEqual(['c']); // a JSON null, not a missing field
      expect(await found({ data: where('data.address.city = oslo') })).toEqual(['a']);
      expect(await found({ data: where('data.items.0.sku = x1') })).toEqual(['a']);
      expect(await found({ data: where('data.tags = c-42') })).toEqual([]); // equality, not containment in an array
      expect(await found({ data: where('data.customerId != c-42') })).toEqual(['c', 'd']);
      expect(await found({ data: where('data.address.city != oslo') })).toEqual(['b', 'c', 'd']); // missing counts as different
      expect(await found({ data: where('data.customerId > c-5') })).toEqual(['c', 'd']);
    });

    it('filters by correlation-id prefix (literally), definition version, and created and updated ranges', async () => {
      const t0 = new Date('2026-01-01T00:00:00.000Z').getTime();
      await insert({ correlationId: 'ord-1', dataVersion: 1, createdAt: new Date(t0), updatedAt: new Date(t0 + HOUR) });
      await insert({ correlationId: 'ord-2', dataVersion: 2, createdAt: new Date(t0 + HOUR), updatedAt: new Date(t0 + 2 * HOUR) });
      await insert({ correlationId: 'ord_3', dataVersion: 2, createdAt: new Date(t0 + 2 * HOUR), updatedAt: new Date(t0 + 3 * HOUR) });
      await insert({ correlationId: 'ordX%', createdAt: new Date(t0 + 3 * HOUR), updatedAt: new Date(t0 + 4 * HOUR) });
      expect(await found({ correlationIdPrefix: 'ord-' })).toEqual(['ord-1', 'ord-2']);
      expect(await found({ correlationIdPrefix: 'ord_' })).toEqual(['ord_3']); // `_` is no wildcard
      expect(await found({ correlationIdPrefix: 'ordX%' })).toEqual(['ordX%']);
      expect(await found({ definitionVersion: 2 })).toEqual(['ord-2', 'ord_3']);
      expect(await found({ createdAfter: new Date(t0 + HOUR), createdBefore: new Date(t0 + 3 * HOUR) })).toEqual(['ord-2', 'ord_3']);
      expect(await found({ updatedAfter: new Date(t0 + 3 * HOUR) })).toEqual(['ordX%', 'ord_3']);
      expect(await found({ updatedBefore: new Date(t0 + 2 * HOUR) })).toEqual(['ord-1']);
    });

    it('tells instances with pending schedules from those nothing will wake', async () => {
      const dueAt = new Date(Date.now() + HOUR);
      await insert({ correlationId: 'waiting', schedules: [{ key: 'timeout:Submitted', token: uuidv7(), type: 'Timeout', dueAt }] });
      await insert({ correlationId: 'idle' });
      expect(await found({ hasSchedules: false })).toEqual(['idle']);
      expect(await found({ hasSchedules: true })).toEqual(['waiting']);
    });

    it('pages a data-filtered list by cursor without losing or repeating an instance', async () => {
      for (let i = 0; i < 7; i++) await insert({ correlationId: `p${i}`, data: { even: i % 2 === 0 }, updatedAt: new Date(Date.now() - i * 1000) });
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await repo.list({ sagaName: saga, data: where('data.even = true'), limit: 2, ...(cursor && { cursor }) });
        seen.push(...page.items.map((i) => i.correlationId));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 10); // bounded: a cursor that never ends fails instead of hanging
      expect(seen).toEqual(['p0', 'p2', 'p4', 'p6']);
    });

    it('refuses a filter whose path or value is not safe, with InvalidFilterError and before any query', async () => {
      const bad: DataCondition[] = [
        { path: ["a') OR 1=1 --"], op: '=', value: 1 },
        { path: [], op: '=', value: 1 },
        { path: ['a'], op: 'LIKE' as never, value: 'x' },
        { path: ['a'], op: '>', value: true },
        { path: ['a'], op: '=', value: { nested: 1 } as never },
      ];
      for (const c of bad) {
        await expect(repo.list({ data: [c] })).rejects.toBeInstanceOf(InvalidFilterError);
        await expect(repo.countInstances({ data: [c] })).rejects.toBeInstanceOf(InvalidFilterError);
      }
      expect(() => parseDataCondition('total > 1')).toThrow(InvalidFilterError);
      expect(() => parseDataCondition('data.a;drop = 1')).toThrow(InvalidFilterError);
    });

    it('counts dead letters by reason, type and saga', async () => {
      const letter = (reason: 'unknown-event' | 'rejected', messageType: string) => repo.addDeadLetter(makeDeadLetter({ reason, messageType, sagaName: saga }));
      await letter('rejected', 'OrderPaid');
      await letter('rejected', 'OrderPaid');
      await letter('unknown-event', 'Ping');
      const mine = (await repo.countDeadLettersBy()).filter((g) => g.sagaName === saga);
      expect(mine).toEqual([
        { reason: 'rejected', messageType: 'OrderPaid', sagaName: saga, count: 2 },
        { reason: 'unknown-event', messageType: 'Ping', sagaName: saga, count: 1 },
      ]);
    });

    it('reports per-saga activity since a time from history, finished instances and dead letters', async () => {
      const now = Date.now();
      const old = await insert({ correlationId: 'old', createdAt: new Date(now - 3 * HOUR), updatedAt: new Date(now - 3 * HOUR) });
      void old;
      const live = await insert({ correlationId: 'live', createdAt: new Date(now - 2 * HOUR), updatedAt: new Date(now - 2 * HOUR) });
      const step = updateOf(live, { updatedAt: new Date(now - 1000) });
      await repo.commit({ ...step.commit, history: makeHistory(step.next, { at: new Date(now - 1000) }) } as never);
      const faulted = await insert({ correlationId: 'f', createdAt: new Date(now - 2000), updatedAt: new Date(now - 2000) });
      const failedStep = updateOf(faulted, { status: 'compensation_failed', updatedAt: new Date(now - 1500) });
      await repo.commit({ ...failedStep.commit, history: makeHistory(failedStep.next, { eventType: 'sagaflow.compensation.failed', at: new Date(now - 1500) }) } as never);
      const done = updateOf(failedStep.next, { status: 'faulted', state: 'Faulted', completedAt: new Date(now - 500), updatedAt: new Date(now - 500) });
      await repo.commit({ ...done.commit, history: makeHistory(done.next, { eventType: 'sagaflow.compensation.step', at: new Date(now - 500) }) } as never);
      await repo.addDeadLetter(makeDeadLetter({ sagaName: saga, createdAt: new Date(now - 100) }));
      await repo.addDeadLetter(makeDeadLetter({ sagaName: saga, createdAt: new Date(now - 2 * HOUR) }));
      const mine = (await repo.activitySince(new Date(now - HOUR))).filter((a) => a.sagaName === saga);
      // 'live' one update, 'f' its insert (the compensation rows are not events); 'old' nothing in the window.
      expect(mine).toEqual([{ sagaName: saga, applied: 2, compensated: 1, compensationFailed: 1, deadLettered: 1 }]);
    });

    it('purges finished instances older than the cut-off with their history, in batches, and nothing else', async () => {
      const now = Date.now();
      const finished = async (correlationId: string, status: 'completed' | 'faulted', ageMs: number) => {
        const at = new Date(now - ageMs);
        const first = await insert({ correlationId, createdAt: at, updatedAt: at });
        const last = updateOf(first, { status, state: 'Done', completedAt: at, updatedAt: at });
        await repo.commit(last.commit);
      };
      await finished('old-1', 'completed', 3 * HOUR);
      await finished('old-2', 'faulted', 4 * HOUR);
      await finished('old-3', 'completed', 5 * HOUR);
      await finished('recent', 'completed', 60_000);
      await insert({ correlationId: 'active-old', createdAt: new Date(now - 9 * HOUR), updatedAt: new Date(now - 9 * HOUR) });
      await insert({ correlationId: 'failed-old', status: 'compensation_failed', createdAt: new Date(now - 9 * HOUR), updatedAt: new Date(now - 9 * HOUR) });
      const cutoff = new Date(now - 2 * HOUR);
      expect(await repo.countInstances({ sagaName: saga, status: ['completed', 'faulted'], completedBefore: cutoff })).toBe(3);
      expect(await repo.purgeFinished({ sagaName: saga, finishedBefore: cutoff, exceptSagas: [saga], limit: 10 })).toEqual({ instances: 0, history: 0 });
      const first = await repo.purgeFinished({ sagaName: saga, finishedBefore: cutoff, limit: 2 });
      expect(first).toEqual({ instances: 2, history: 4 });
      // The oldest go first.
      expect((await found({})).filter((c) => c.startsWith('old'))).toEqual(['old-1']);
      expect(await repo.purgeFinished({ sagaName: saga, finishedBefore: cutoff, limit: 2 })).toEqual({ instances: 1, history: 2 });
      expect(await repo.purgeFinished({ sagaName: saga, finishedBefore: cutoff, limit: 2 })).toEqual({ instances: 0, history: 0 });
      expect(await found({})).toEqual(['active-old', 'failed-old', 'recent']);
      const gone = await repo.findByCorrelation(saga, 'old-1', { fresh: true });
      expect(gone).toBeNull();
      await expect(repo.purgeFinished({ finishedBefore: cutoff, limit: 0 })).rejects.toBeInstanceOf(RangeError);
    });
  });
}
