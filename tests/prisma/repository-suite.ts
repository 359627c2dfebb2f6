/**
 * Behaviour every Prisma-backed repository shows, run against PostgreSQL and PGlite. (The shared
 * cross-implementation contract lives in tests/contract; this suite adds the persistence-specific cases.)
 */
import { describe, expect, it, beforeEach, afterEach } from 'vitest';
import { ConcurrencyError } from '../../src/errors/concurrency-error.ts';
import type { SagaInstanceRecord, SagaRepository } from '../../src/repository/types.ts';
import { uuidv7 } from '../../src/messages/uuid-v7.ts';
import { insertOf, makeHistory, makeInstance, updateOf } from '../helpers/records.ts';

export type MakeRepository = () => Promise<{ repository: SagaRepository; cleanup?: () => Promise<void> }>;

export function describePrismaRepository(name: string, make: MakeRepository): void {
  describe(`${name} repository`, () => {
    let repo: SagaRepository;
    let cleanup: (() => Promise<void>) | undefined;
    beforeEach(async () => {
      ({ repository: repo, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup?.();
    });

    const insert = async (overrides: Partial<SagaInstanceRecord> = {}) => {
      const instance = makeInstance(overrides);
      await repo.commit(insertOf(instance));
      return instance;
    };

    describe('reads', () => {
      it('finds nothing for an unknown correlation id, id, or an id that is not a uuid', async () => {
        expect(await repo.findByCorrelation('order', 'nope')).toBeNull();
        expect(await repo.findById(uuidv7())).toBeNull();
        expect(await repo.findById('not-a-uuid')).toBeNull();
        expect(await repo.history('not-a-uuid')).toEqual([]);
      });

      it('returns an inserted instance field for field, with Dates as Date objects', async () => {
        const instance = await insert({
          dataVersion: 3,
          compensation: [{ name: 'refund', args: { amount: 5, lines: [1, 2] }, attempts: 1 }],
          error: { code: 'X', message: 'boom', step: 'refund', at: new Date('2024-01-02T03:04:05.678Z') },
          completedAt: new Date('2024-05-06T07:08:09.010Z'),
          status: 'compensation_failed',
        });
        const byCorrelation = await repo.findByCorrelation(instance.sagaName, instance.correlationId);
        const byId = await repo.findById(instance.id);
        expect(byCorrelation).toEqual(instance);
        expect(byId).toEqual(instance);
        expect(byId!.createdAt).toBeInstanceOf(Date);
        expect(byId!.error!.at).toBeInstanceOf(Date);
      });

      it('keeps the same correlation id apart across sagas', async () => {
        const a = await insert({ sagaName: 'order', correlationId: 'same' });
        const b = await insert({ sagaName: 'payment', correlationId: 'same' });
        expect((await repo.findByCorrelation('order', 'same'))!.id).toBe(a.id);
        expect((await repo.findByCorrelation('payment', 'same'))!.id).toBe(b.id);
      });
    });

    describe('JSON fidelity', () => {
      const samples: Record<string, unknown> = {
        nested: {
          a: { b: { c: [1, [2, [3, { d: 'deep' }]]] } },
          numbers: [0, -1, 1.5, -2.25, 1e-7, 123456789012345, Number.MAX_SAFE_INTEGER, 1e300],
          strings: ['', 'quote " and \\ backslash', 'line\nbreak\ttab', 'ünïcödé 日本語 🎉', '{"looks":"like json"}'],
          booleans: [true, false],
          nothing: null,
          empty: { obj: {}, arr: [] },
          keysOfAllLengths: { zzzzzzzzz: 1, a: 2, mm: 3 },
        },
        'top-level array': [1, 'two', { three: 3 }, null],
        'top-level string': 'just a string',
        'top-level number': 7.5,
        'top-level null': null,
        'top-level boolean': false,
      };
      for (const [label, data] of Object.entries(samples)) {
        it(`round-trips ${label} in data, history payload and compensation args`, async () => {
          const instance = makeInstance({ data, compensation: [{ name: 'undo', args: data, attempts: 0 }] });
          await repo.commit({ kind: 'insert', instance, history: makeHistory(instance, { payload: data }) });
          const found = await repo.findById(instance.id);
          expect(found!.data).toStrictEqual(data);
          expect(found!.compensation[0]!.args).toStrictEqual(data);
          expect((await repo.history(instance.id))[0]!.payload).toStrictEqual(data);
        });
      }

      it('hands out independent copies: mutating a loaded record changes nothing stored', async () => {
        const instance = await insert({ data: { list: [1] } });
        const loaded = await repo.findById(instance.id);
        (loaded!.data as { list: number[] }).list.push(2);
        expect((await repo.findById(instance.id))!.data).toEqual({ list: [1] });
      });
    });

    describe('commits', () => {
      it('applies an update whose expected version matches and appends its history row', async () => {
        const v1 = await insert();
        const { commit, next } = updateOf(v1, { state: 'Paid', data: { total: 42, paid: true }, dataVersion: 2 });
        await repo.commit(commit);
        expect(await repo.findById(v1.id)).toEqual(next);
        const history = await repo.history(v1.id);
        expect(history.map((h) => [h.sequence, h.stateBefore, h.stateAfter])).toEqual([
          [1, null, 'Submitted'],
          [2, 'Submitted', 'Paid'],
        ]);
        expect(history[1]).toEqual(commit.kind === 'update' ? commit.history : undefined);
      });

      it('rejects an update from a stale version with ConcurrencyError and writes nothing', async () => {
        const v1 = await insert();
        const first = updateOf(v1, { state: 'Paid' });
        await repo.commit(first.commit);
        const stale = updateOf(v1, { state: 'Cancelled' });
        const error = await repo.commit(stale.commit).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ sagaName: v1.sagaName, correlationId: v1.correlationId, expectedVersion: 1 });
        expect(await repo.findById(v1.id)).toEqual(first.next);
        expect(await repo.history(v1.id)).toHaveLength(2);
      });

      it('rejects an insert for an existing (saga, correlation id) with ConcurrencyError and keeps the first', async () => {
        const first = await insert({ correlationId: 'dup' });
        const second = makeInstance({ correlationId: 'dup', state: 'Other' });
        await expect(repo.commit(insertOf(second))).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await repo.findByCorrelation('order', 'dup')).toEqual(first);
        expect(await repo.findById(second.id)).toBeNull();
        expect(await repo.history(second.id)).toEqual([]);
      });

      it('deletes an instance and its history at the expected version', async () => {
        const v1 = await insert();
        await repo.commit({ kind: 'delete', instance: v1, expectedVersion: 1 });
        expect(await repo.findById(v1.id)).toBeNull();
        expect(await repo.findByCorrelation(v1.sagaName, v1.correlationId)).toBeNull();
        expect(await repo.history(v1.id)).toEqual([]);
      });

      it('rejects a delete or an update of a stale or vanished instance with ConcurrencyError', async () => {
        const v1 = await insert();
        const { commit } = updateOf(v1);
        await repo.commit(commit);
        await expect(repo.commit({ kind: 'delete', instance: v1, expectedVersion: 1 })).rejects.toBeInstanceOf(
          ConcurrencyError,
        );
        await repo.commit({ kind: 'delete', instance: v1, expectedVersion: 2 });
        await expect(repo.commit(updateOf({ ...v1, version: 2 }).commit)).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(repo.commit({ kind: 'delete', instance: v1, expectedVersion: 2 })).rejects.toBeInstanceOf(
          ConcurrencyError,
        );
      });

      it('allows a new instance for a correlation id once the old one was deleted', async () => {
        const old = await insert({ correlationId: 'again' });
        await repo.commit({ kind: 'delete', instance: old, expectedVersion: 1 });
        const fresh = await insert({ correlationId: 'again' });
        expect((await repo.findByCorrelation('order', 'again'))!.id).toBe(fresh.id);
      });
    });

    describe('monitoring', () => {
      const base = Date.parse('2024-01-01T00:00:00.000Z');
      const at = (minutes: number) => new Date(base + minutes * 60_000);

      it('lists newest first by default, oldest first with order asc', async () => {
        const a = await insert({ updatedAt: at(1) });
        const b = await insert({ updatedAt: at(3) });
        const c = await insert({ updatedAt: at(2) });
        expect((await repo.list()).items.map((i) => i.id)).toEqual([b.id, c.id, a.id]);
        expect((await repo.list({ order: 'asc' })).items.map((i) => i.id)).toEqual([a.id, c.id, b.id]);
      });

      it('filters by saga, state, one or several statuses, correlation id and updatedBefore (strict)', async () => {
        const a = await insert({ sagaName: 'order', state: 'Submitted', status: 'active', updatedAt: at(1) });
        const b = await insert({ sagaName: 'order', state: 'Paid', status: 'completed', updatedAt: at(2) });
        const c = await insert({ sagaName: 'payment', state: 'Paid', status: 'faulted', updatedAt: at(3) });
        const ids = async (q: Parameters<SagaRepository['list']>[0]) =>
          (await repo.list({ ...q, order: 'asc' })).items.map((i) => i.id);
        expect(await ids({ sagaName: 'order' })).toEqual([a.id, b.id]);
        expect(await ids({ state: 'Paid' })).toEqual([b.id, c.id]);
        expect(await ids({ sagaName: 'order', state: 'Paid' })).toEqual([b.id]);
        expect(await ids({ status: 'faulted' })).toEqual([c.id]);
        expect(await ids({ status: ['active', 'faulted'] })).toEqual([a.id, c.id]);
        expect(await ids({ status: [] })).toEqual([]);
        expect(await ids({ correlationId: b.correlationId })).toEqual([b.id]);
        expect(await ids({ updatedBefore: at(2) })).toEqual([a.id]);
        expect(await ids({ updatedBefore: at(2), status: 'completed' })).toEqual([]);
      });

      for (const order of ['asc', 'desc'] as const) {
        it(`pages through every instance exactly once (${order}), ties on updatedAt broken by id`, async () => {
          const made: SagaInstanceRecord[] = [];
          for (let i = 0; i < 23; i++) made.push(await insert({ updatedAt: at(i % 5) })); // many ties
          const seen: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const page = await repo.list({ order, limit: 5, ...(cursor ? { cursor } : {}) });
            seen.push(...page.items.map((i) => i.id));
            cursor = page.nextCursor ?? undefined;
            pages++;
          } while (cursor);
          expect(pages).toBe(5);
          const expected = [...made].sort(
            (x, y) => x.updatedAt.getTime() - y.updatedAt.getTime() || (x.id < y.id ? -1 : 1),
          );
          if (order === 'desc') expected.reverse();
          expect(seen).toEqual(expected.map((i) => i.id));
        });
      }

      it('returns no next cursor when the last page is exactly full', async () => {
        for (let i = 0; i < 4; i++) await insert({ updatedAt: at(i) });
        const first = await repo.list({ limit: 2 });
        expect(first.nextCursor).not.toBeNull();
        const second = await repo.list({ limit: 2, cursor: first.nextCursor! });
        expect(second.items).toHaveLength(2);
        expect(second.nextCursor).toBeNull();
      });

      it('pages 50 by default', async () => {
        for (let i = 0; i < 51; i++) await insert({ updatedAt: at(i) });
        const page = await repo.list();
        expect(page.items).toHaveLength(50);
        expect(page.nextCursor).not.toBeNull();
      });

      it('rejects a cursor it did not make', async () => {
        await expect(repo.list({ cursor: 'garbage' })).rejects.toBeInstanceOf(RangeError);
      });

      it('counts instances per (saga, state, status), optionally for one saga', async () => {
        await insert({ sagaName: 'order', state: 'Submitted' });
        await insert({ sagaName: 'order', state: 'Submitted' });
        await insert({ sagaName: 'order', state: 'Paid', status: 'completed' });
        await insert({ sagaName: 'payment', state: 'Authorised' });
        expect(await repo.countByState()).toEqual([
          { sagaName: 'order', state: 'Paid', status: 'completed', count: 1 },
          { sagaName: 'order', state: 'Submitted', status: 'active', count: 2 },
          { sagaName: 'payment', state: 'Authorised', status: 'active', count: 1 },
        ]);
        expect(await repo.countByState('payment')).toEqual([
          { sagaName: 'payment', state: 'Authorised', status: 'active', count: 1 },
        ]);
        expect(await repo.countByState('nobody')).toEqual([]);
      });

      it('returns history in sequence order', async () => {
        let current = await insert();
        for (let i = 0; i < 12; i++) {
          const { commit, next } = updateOf(current, { state: `S${i}` });
          await repo.commit(commit);
          current = next;
        }
        const history = await repo.history(current.id);
        expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
        expect(history.every((h) => h.at instanceof Date && h.instanceId === current.id)).toBe(true);
      });
    });
  });
}
