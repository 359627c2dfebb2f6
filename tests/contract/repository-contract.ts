/**
 * The repository contract: what every `SagaRepository` guarantees, whatever stores it. Each
 * implementation runs it in a few lines:
 *
 *   runRepositoryContract('in-memory', async () => ({ repository: new InMemorySagaRepository() }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../src/errors/concurrency-error.ts';
import { InvalidCursorError } from '../../src/errors/invalid-cursor-error.ts';
import type { SagaCommit, SagaInstanceRecord, SagaRepository } from '../../src/repository/types.ts';
import { createEnvelope } from '../../src/messages/envelope.ts';
import { uuidv7 } from '../../src/messages/uuid-v7.ts';
import { UnstorableValueError } from '../../src/errors/unstorable-value-error.ts';
import { insertOf, makeDeadLetter, makeEnvelope, makeHistory, makeInstance, makeOutboxEntry, updateOf, withOutbox } from '../helpers/records.ts';
import { runLockContract } from './lock-contract.ts';

export type MakeRepository = () => Promise<{ repository: SagaRepository; cleanup?: () => Promise<void> }>;

export function runRepositoryContract(name: string, make: MakeRepository): void {
  describe(`SagaRepository contract: ${name}`, () => {
    let repo: SagaRepository;
    let cleanup: (() => Promise<void>) | undefined;
    // Each test uses its own saga name, so suites that share a store between tests stay independent.
    let saga: string;
    let n = 0;

    beforeEach(async () => {
      ({ repository: repo, cleanup } = await make());
      saga = `contract-${Date.now().toString(36)}-${n++}`;
    });
    afterEach(async () => {
      await cleanup?.();
    });

    const insert = async (overrides: Partial<SagaInstanceRecord> = {}) => {
      const instance = makeInstance({ sagaName: saga, ...overrides });
      await repo.commit(insertOf(instance));
      return instance;
    };

    it('round-trips an instance exactly, JSON data and compensation stack included', async () => {
      const data = { s: 'ünïcødé ✓', n: 1.5, neg: -7, big: 2 ** 40, t: true, f: false, z: null, list: [1, 'two', { three: [3] }], nested: { a: { b: { c: 'deep' } } } };
      const instance = await insert({
        data,
        dataVersion: 2,
        compensation: [
          { name: 'refund', args: { transactionId: 'tx-1', amount: 10 }, attempts: 0 },
          { name: 'release', args: { reservationId: 'r-1' }, attempts: 1 },
        ],
        error: { code: 'X', message: 'boom', step: 'release', at: new Date('2025-01-01T00:00:00.000Z') },
      });
      const byCorrelation = await repo.findByCorrelation(saga, instance.correlationId);
      const byId = await repo.findById(instance.id);
      expect(byCorrelation).toEqual(instance);
      expect(byId).toEqual(instance);
      expect(byCorrelation!.createdAt).toBeInstanceOf(Date);
      expect(byCorrelation!.compensation.map((e) => e.name)).toEqual(['refund', 'release']);
    });

    it('filters and counts instances by the definition version that wrote them', async () => {
      await insert({ correlationId: 'v-1', dataVersion: 1 });
      await insert({ correlationId: 'v-2a', dataVersion: 2 });
      await insert({ correlationId: 'v-2b', dataVersion: 2, status: 'completed' });
      await insert({ correlationId: 'v-3', dataVersion: 3 });
      const ids = async (q: Parameters<typeof repo.list>[0]) => (await repo.list({ sagaName: saga, ...q })).items.map((i) => i.correlationId).sort();
      expect(await ids({ definitionVersion: 2 })).toEqual(['v-2a', 'v-2b']);
      expect(await ids({ definitionVersionBelow: 3 })).toEqual(['v-1', 'v-2a', 'v-2b']);
      expect(await ids({ definitionVersionBelow: 3, status: ['active'] })).toEqual(['v-1', 'v-2a']);
      expect(await repo.countByVersion!(saga)).toEqual([
        { sagaName: saga, definitionVersion: 1, status: 'active', count: 1 },
        { sagaName: saga, definitionVersion: 2, status: 'active', count: 1 },
        { sagaName: saga, definitionVersion: 2, status: 'completed', count: 1 },
        { sagaName: saga, definitionVersion: 3, status: 'active', count: 1 },
      ]);
    });

    it('hands out copies: changing a loaded record changes nothing stored', async () => {
      const instance = await insert({ data: { items: [1] } });
      const loaded = await repo.findById(instance.id);
      (loaded!.data as { items: number[] }).items.push(2);
      expect((await repo.findById(instance.id))!.data).toEqual({ items: [1] });
    });

    it('keeps each version whole: records read before or after a write, and the records written, change nothing stored', async () => {
      const v1 = await insert({ data: { tags: ['a'], address: { city: 'Lyon' }, total: 1 } });
      const read1 = (await repo.findById(v1.id))!;
      // Only `total` changes: a store may share the rest with the version before, but nobody may see that.
      const { commit, next: v2 } = updateOf(v1, { state: 'B', data: { tags: ['a'], address: { city: 'Lyon' }, total: 2 } });
      await repo.commit(commit);
      expect(read1.version).toBe(1);
      expect(read1.state).toBe(v1.state);
      expect(read1.data).toEqual({ tags: ['a'], address: { city: 'Lyon' }, total: 1 });
      (v2.data as { tags: string[] }).tags.push('written');
      (read1.data as { tags: string[] }).tags.push('read before');
      const read2 = (await repo.findById(v1.id))!;
      (read2.data as { address: { city: string } }).address.city = 'read after';
      const { commit: third } = updateOf(read2, { data: { ...(read2.data as object), total: 3 } });
      (third.instance.data as { tags: string[] }).tags.push('third');
      await repo.commit(third);
      (read2.data as { tags: string[] }).tags.push('read after');
      const stored = (await repo.findById(v1.id))!;
      expect(stored.version).toBe(3);
      expect(stored.data).toEqual({ tags: ['a', 'third'], address: { city: 'read after' }, total: 3 });
      expect((await repo.history(v1.id)).map((h) => h.sequence)).toEqual([1, 2, 3]);
    });

    it('keeps times to the millisecond from 1970 to 2099, and lists them in order across pages', async () => {
      // Times near now and far from it, before and after it: a store may keep near times more compactly.
      const now = Date.now();
      const times = [0, Date.UTC(2001, 0, 1), now - 40 * 86_400_000, now - 1, now, now + 1, now + 40 * 86_400_000, Date.UTC(2099, 11, 31, 23, 59, 59, 999)];
      const made = [];
      for (const [k, t] of times.entries()) {
        const v1 = await insert({ correlationId: `time-${k}`, createdAt: new Date(t), updatedAt: new Date(t) });
        made.push(v1);
        const read = (await repo.findById(v1.id))!;
        expect([read.createdAt.getTime(), read.updatedAt.getTime()]).toEqual([t, t]);
      }
      // An update keeps the creation time it is given and moves the update time a millisecond on.
      const { commit } = updateOf(made[3]!, { updatedAt: new Date(times[3]! + 1) });
      await repo.commit(commit);
      const updated = (await repo.findById(made[3]!.id))!;
      expect([updated.createdAt.getTime(), updated.updatedAt.getTime()]).toEqual([times[3], times[3]! + 1]);
      for (const order of ['asc', 'desc'] as const) {
        const seen: number[] = [];
        let cursor: string | undefined;
        // At most as many pages as there can be: a cursor that never ends fails here instead of looping.
        for (let pages = 0; pages < times.length; pages++) {
          const page = await repo.list({ sagaName: saga, order, limit: 3, ...(cursor !== undefined && { cursor }) });
          seen.push(...page.items.map((r) => r.updatedAt.getTime()));
          cursor = page.nextCursor ?? undefined;
          if (cursor === undefined) break;
        }
        const expected = [...times.slice(0, 3), times[3]! + 1, ...times.slice(4)].sort((a, b) => a - b);
        expect(seen).toEqual(order === 'asc' ? expected : [...expected].reverse());
      }
    });

    it('finds nothing for an unknown correlation id or instance id', async () => {
      await insert({ correlationId: 'known' });
      expect(await repo.findByCorrelation(saga, 'unknown')).toBeNull();
      expect(await repo.findByCorrelation(`${saga}-other`, 'known')).toBeNull();
      expect(await repo.findById(makeInstance().id)).toBeNull();
      expect(await repo.history(makeInstance().id)).toEqual([]);
    });

    it('answers an assumeAbsent read with the stored record or null, never another, and a fresh one with the truth', async () => {
      const stored = await insert({ correlationId: 'assumed' });
      const assumed = await repo.findByCorrelation(saga, 'assumed', { assumeAbsent: true });
      if (assumed !== null) expect(assumed).toEqual(stored);
      expect(await repo.findByCorrelation(saga, 'assumed', { assumeAbsent: true, fresh: true })).toEqual(stored);
      expect(await repo.findByCorrelation(saga, 'never-stored', { assumeAbsent: true })).toBeNull();
    });

    it('rejects a second insert of the same saga and correlation id with ConcurrencyError', async () => {
      const first = await insert({ correlationId: 'c-1' });
      const second = makeInstance({ sagaName: saga, correlationId: 'c-1', state: 'Other' });
      await expect(repo.commit(insertOf(second))).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await repo.findByCorrelation(saga, 'c-1')).toEqual(first);
      // Another saga may use the same correlation id.
      await repo.commit(insertOf(makeInstance({ sagaName: `${saga}-b`, correlationId: 'c-1' })));
      expect((await repo.findByCorrelation(`${saga}-b`, 'c-1'))!.sagaName).toBe(`${saga}-b`);
    });

    it('applies an update only at the expected version and appends its history row', async () => {
      const v1 = await insert({ state: 'A' });
      const { commit, next } = updateOf(v1, { state: 'B', data: { total: 43 } });
      await repo.commit(commit);
      expect(await repo.findById(v1.id)).toEqual(next);
      const history = await repo.history(v1.id);
      expect(history.map((h) => [h.sequence, h.stateBefore, h.stateAfter])).toEqual([
        [1, null, 'A'],
        [2, 'A', 'B'],
      ]);
    });

    it('rejects a stale update with ConcurrencyError and changes nothing', async () => {
      const v1 = await insert({ state: 'A' });
      const { commit: winner, next: v2 } = updateOf(v1, { state: 'B' });
      await repo.commit(winner);
      const { commit: stale } = updateOf(v1, { state: 'C' });
      await expect(repo.commit(stale)).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await repo.findById(v1.id)).toEqual(v2);
      expect((await repo.history(v1.id)).length).toBe(2);
    });

    it('rejects an update of an instance that does not exist', async () => {
      const ghost = makeInstance({ sagaName: saga });
      const { commit } = updateOf(ghost);
      await expect(repo.commit(commit)).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await repo.findById(ghost.id)).toBeNull();
    });

    it('deletes at the expected version, history included, and rejects a stale delete', async () => {
      const v1 = await insert();
      const { commit, next: v2 } = updateOf(v1, { state: 'Done', status: 'completed' });
      await repo.commit(commit);
      await expect(repo.commit({ kind: 'delete', instance: v2, expectedVersion: 1 })).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await repo.findById(v1.id)).not.toBeNull();
      expect((await repo.history(v1.id)).map((h) => h.sequence)).toEqual([1, 2]);
      await repo.commit({ kind: 'delete', instance: v2, expectedVersion: 2 });
      expect(await repo.findById(v1.id)).toBeNull();
      expect(await repo.findByCorrelation(saga, v1.correlationId)).toBeNull();
      expect(await repo.history(v1.id)).toEqual([]);
    });

    it('lets exactly one of many concurrent updates from the same version win', async () => {
      const v1 = await insert();
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => repo.commit(updateOf(v1, { state: `S${i}` }).commit)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrencyError);
      expect((await repo.findById(v1.id))!.version).toBe(2);
      expect(await repo.history(v1.id)).toHaveLength(2);
    });

    it('creates exactly one instance when concurrent inserts race for one correlation id', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => repo.commit(insertOf(makeInstance({ sagaName: saga, correlationId: 'race' })))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const page = await repo.list({ sagaName: saga });
      expect(page.items).toHaveLength(1);
    });

    it('returns history in sequence order with every field', async () => {
      let current = await insert({ state: 'A' });
      for (const state of ['B', 'C', 'D']) {
        const { commit, next } = updateOf(current, { state });
        await repo.commit(commit);
        current = next;
      }
      const history = await repo.history(current.id);
      expect(history.map((h) => h.sequence)).toEqual([1, 2, 3, 4]);
      expect(history.map((h) => h.stateAfter)).toEqual(['A', 'B', 'C', 'D']);
      expect(history[3]).toEqual(makeHistory(current, { messageId: history[3]!.messageId, stateBefore: 'C' }));
      expect(history[0]!.at).toBeInstanceOf(Date);
    });

    describe('JSON fidelity', () => {
      const samples: Array<[string, unknown]> = [
        [
          'nested values of every kind',
          {
            a: { b: { c: [1, [2, [3, { d: 'deep' }]]] } },
            numbers: [0, -1, 1.5, -2.25, 1e-7, 123456789012345, Number.MAX_SAFE_INTEGER, 1e300],
            strings: ['', 'quote " and \\ backslash', 'line\nbreak\ttab', 'ünïcödé 日本語 🎉', '{"looks":"like json"}'],
            booleans: [true, false],
            nothing: null,
            empty: { obj: {}, arr: [] },
            keysOfAllLengths: { zzzzzzzzz: 1, a: 2, mm: 3 },
          },
        ],
        ['a top-level array', [1, 'two', { three: 3 }, null]],
        ['a top-level string', 'just a string'],
        ['a top-level number', 7.5],
        ['top-level null', null],
        ['a top-level boolean', false],
      ];
      it.each(samples)('round-trips %s in data, history payload and compensation args', async (_, data) => {
        const instance = makeInstance({ sagaName: saga, data, compensation: [{ name: 'undo', args: data, attempts: 0 }] });
        await repo.commit({ kind: 'insert', instance, history: makeHistory(instance, { payload: data }) });
        const found = await repo.findById(instance.id);
        expect(found!.data).toStrictEqual(data);
        expect(found!.compensation[0]!.args).toStrictEqual(data);
        expect((await repo.history(instance.id))[0]!.payload).toStrictEqual(data);
      });
    });

    describe('values no store can hold', () => {
      // PostgreSQL's text and jsonb refuse NUL and lone surrogates; JSON has no NaN, Infinity or BigInt.
      const bad: Array<[string, unknown, RegExp]> = [
        ['a NUL character', 'a\u0000b', /NUL character \(U\+0000\) at index 1/],
        ['a lone high surrogate', 'x\uD800', /lone UTF-16 surrogate \(U\+D800\) at index 1/],
        ['a lone low surrogate', '\uDC00y', /lone UTF-16 surrogate \(U\+DC00\) at index 0/],
        ['NaN', Number.NaN, /NaN/],
        ['Infinity', Number.POSITIVE_INFINITY, /Infinity/],
        ['a BigInt', 10n, /BigInt/],
      ];
      const refused = async (commit: Promise<void>, path: string, problem: RegExp) => {
        const error = await commit.then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(UnstorableValueError);
        expect((error as UnstorableValueError).code).toBe('SAGA_VALUE_UNSTORABLE');
        expect((error as UnstorableValueError).path).toBe(path);
        expect((error as UnstorableValueError).problem).toMatch(problem);
      };

      it.each(bad)('refuses %s in data, history payload, compensation args and keys, naming the field, and writes nothing', async (_, value, problem) => {
        const cases: Array<[string, (i: SagaInstanceRecord) => SagaCommit]> = [
          ['data.items[1].note', (i) => insertOf({ ...i, data: { items: [{}, { note: value }] } })],
          ['payload.reason', (i) => ({ kind: 'insert', instance: i, history: makeHistory(i, { payload: { reason: value } }) })],
          ['compensation[1].args.tx', (i) => insertOf({ ...i, compensation: [{ name: 'a', args: {}, attempts: 0 }, { name: 'refund', args: { tx: value }, attempts: 0 }] })],
        ];
        for (const [path, commitOf] of cases) {
          const instance = makeInstance({ sagaName: saga });
          await refused(repo.commit(commitOf(instance)), path, problem);
          expect(await repo.findByCorrelation(saga, instance.correlationId, { fresh: true })).toBeNull();
          expect(await repo.history(instance.id)).toEqual([]);
        }
      });

      it('refuses a NUL or lone surrogate in the correlation id, the state, a key and an outgoing header', async () => {
        const outboxBefore = await repo.outboxSize();
        const i = makeInstance({ sagaName: saga });
        await refused(repo.commit(insertOf({ ...i, correlationId: 'c\u0000' })), 'correlationId', /NUL/);
        await refused(repo.commit(insertOf({ ...i, state: 'S\uDFFF' })), 'state', /surrogate/);
        await refused(repo.commit(insertOf({ ...i, data: { ['k\u0000']: 1 } })), 'data["k\\u0000"]', /key holds a NUL/);
        const header = makeOutboxEntry(new Date(), makeEnvelope({ type: 'ShipOrder', headers: { tenant: 't\u0000' } }));
        await refused(repo.commit(withOutbox(insertOf(i), [makeOutboxEntry(), header])), 'outbox[1] (ShipOrder).headers.tenant', /NUL/);
        await refused(repo.stageOutbox([header]), 'outbox[0] (ShipOrder).headers.tenant', /NUL/);
        expect(await repo.findByCorrelation(saga, i.correlationId, { fresh: true })).toBeNull();
        expect(await repo.outboxSize()).toBe(outboxBefore);
      });

      it('refuses an update holding one and keeps the stored version', async () => {
        const v1 = await insert({ data: { note: 'fine' } });
        const { commit } = updateOf(v1, { data: { note: 'not\u0000fine' } });
        await refused(repo.commit(commit), 'data.note', /NUL/);
        const stored = await repo.findById(v1.id);
        expect(stored!.version).toBe(1);
        expect(stored!.data).toEqual({ note: 'fine' });
        expect(await repo.history(v1.id)).toHaveLength(1);
      });

      it('refuses a dead letter holding one', async () => {
        const letter = makeDeadLetter({ errorMessage: 'boom\u0000' });
        await refused(repo.addDeadLetter(letter), 'deadLetter.errorMessage', /NUL/);
        expect(await repo.getDeadLetter(letter.id)).toBeNull();
      });

      it('stores what only looks alike: escaped text, emoji (surrogate pairs), control characters and huge numbers', async () => {
        const data = { escaped: '\\u0000', emoji: '🎉 𝄞', control: '\u0001\u001f\t', big: 1.7976931348623157e308 };
        const instance = await insert({ data });
        expect((await repo.findById(instance.id))!.data).toEqual(data);
      });
    });

    it('keeps the messages each write sent with its history row, alone and in concurrent writes', async () => {
      const sent = [
        { messageId: 'm-1', type: 'ProcessPayment', kind: 'send' as const },
        { messageId: 'm-2', type: 'OrderAccepted', kind: 'publish' as const },
        { messageId: 'm-3', type: 'PaymentTimedOut', kind: 'schedule' as const },
      ];
      const first = makeInstance({ sagaName: saga, correlationId: 'sent-1' });
      await repo.commit({ kind: 'insert', instance: first, history: makeHistory(first, { sent }) });
      // Concurrent updates of several instances: the PostgreSQL store sends these as one group commit.
      const others = await Promise.all([2, 3, 4].map((k) => insert({ correlationId: `sent-${k}` })));
      await Promise.all(
        others.map((o, k) => {
          const commit = updateOf(o).commit as Extract<SagaCommit, { kind: 'update' }>;
          return repo.commit({ ...commit, history: { ...commit.history, sent: k === 1 ? [] : sent.slice(k) } });
        }),
      );
      expect((await repo.history(first.id))[0]!.sent).toEqual(sent);
      const after = await Promise.all(others.map(async (o) => (await repo.history(o.id)).map((h) => h.sent ?? [])));
      expect(after).toEqual([[[], sent], [[], []], [[], sent.slice(2)]]);
    });

    it('keeps the joins under way with the instance through insert, update and clearing', async () => {
      const joins = { ReadyToShip: ['StockReserved'], Other: ['A', 'B'] };
      const v1 = await insert({ correlationId: 'joins-1', joins });
      expect((await repo.findById(v1.id))!.joins).toEqual(joins);
      const grown = { ReadyToShip: ['StockReserved', 'PaymentCaptured'], Other: ['A', 'B'] };
      const { commit, next: v2 } = updateOf(v1, { joins: grown });
      await repo.commit(commit);
      expect((await repo.findByCorrelation(saga, 'joins-1'))!.joins).toEqual(grown);
      expect((await repo.list({ sagaName: saga })).items[0]!.joins).toEqual(grown);
      await repo.commit(updateOf(v2, { joins: undefined }).commit);
      const cleared = await repo.findById(v1.id);
      expect(cleared!.version).toBe(3);
      expect(cleared!.joins).toBeUndefined();
      // An instance that never had one reads as none.
      expect((await insert({ correlationId: 'joins-none' })).joins).toBeUndefined();
      expect((await repo.findByCorrelation(saga, 'joins-none'))!.joins).toBeUndefined();
    });

    it('keeps each instance its own joins in concurrent inserts and updates', async () => {
      // Concurrent writes of several instances: the PostgreSQL store sends these as group commits.
      const expected = (k: number, round: number) => (k % 2 === round ? { J: [`E${k}`, ...(round ? ['F'] : [])] } : undefined);
      const many = Array.from({ length: 8 }, (_, k) => makeInstance({ sagaName: saga, correlationId: `joins-c${k}`, joins: expected(k, 0) }));
      await Promise.all(many.map((i) => repo.commit(insertOf(i))));
      expect(await Promise.all(many.map(async (i) => (await repo.findById(i.id))!.joins))).toEqual(many.map((_, k) => expected(k, 0)));
      await Promise.all(many.map((i, k) => repo.commit(updateOf(i, { joins: expected(k, 1) }).commit)));
      const after = await Promise.all(many.map((i) => repo.findByCorrelation(saga, i.correlationId, { fresh: true })));
      expect(after.map((r) => r!.version)).toEqual(many.map(() => 2));
      expect(after.map((r) => r!.joins)).toEqual(many.map((_, k) => expected(k, 1)));
    });

    describe('handled commands', () => {
      const t0 = Date.UTC(2026, 0, 1);
      const at = (ms: number) => new Date(t0 + ms);
      const command = (id: string) =>
        createEnvelope('command', `ChargeCard-${saga}`, { amount: 5 }, { messageId: `${saga}-${id}`, correlationId: 'order-1' }, at(0));
      const outcome = (id: string) => ({
        id: uuidv7(),
        envelope: createEnvelope('event', 'ChargeCard.Completed', { commandId: id }, { correlationId: 'order-1' }, at(0)),
        availableAt: at(0),
      });

      it('claims a new command once, reports it busy under its lease, and takes it over once the lease ran out', async () => {
        const env = command('a');
        const first = await repo.claimCommand({ envelope: env, target: 'payments', now: at(0), leaseUntil: at(1000) });
        expect(first.status).toBe('claimed');
        expect(first.command).toMatchObject({ id: env.messageId, commandType: `ChargeCard-${saga}`, target: 'payments', correlationId: 'order-1', status: 'running', attempts: 1 });
        expect(first.command.envelope).toEqual(env);
        const busy = await repo.claimCommand({ envelope: env, target: 'payments', now: at(500), leaseUntil: at(1500) });
        expect(busy.status).toBe('busy');
        const taken = await repo.claimCommand({ envelope: env, target: 'payments', now: at(1000), leaseUntil: at(2000) });
        expect(taken.status).toBe('claimed');
        expect(taken.command.attempts).toBe(2);
        expect(taken.command.leaseUntil).toEqual(at(2000));
      });

      it('lets exactly one of many concurrent claims of a command win', async () => {
        const env = command('race');
        const claims = await Promise.all(
          Array.from({ length: 8 }, () => repo.claimCommand({ envelope: env, target: null, now: at(0), leaseUntil: at(1000) })),
        );
        expect(claims.filter((c) => c.status === 'claimed')).toHaveLength(1);
        expect(claims.filter((c) => c.status === 'busy')).toHaveLength(7);
      });

      it('records an outcome once, with its messages, and never claims a finished command again', async () => {
        const env = command('b');
        await repo.claimCommand({ envelope: env, target: null, now: at(0), leaseUntil: at(1000) });
        expect(await repo.renewCommand(env.messageId, { attempts: 2, leaseUntil: at(3000), now: at(100) })).toBe(true);
        const sizeBefore = await repo.outboxSize();
        const finish = { id: env.messageId, status: 'completed' as const, attempts: 2, output: { transactionId: 'tx-1' }, at: at(200), outbox: [outcome(env.messageId)] };
        expect(await repo.finishCommand(finish)).toBe(true);
        expect(await repo.outboxSize()).toBe(sizeBefore + 1);
        // A second finish (another process that ran it too) records nothing and stages nothing.
        expect(await repo.finishCommand({ ...finish, status: 'failed', outbox: [outcome(env.messageId)] })).toBe(false);
        expect(await repo.outboxSize()).toBe(sizeBefore + 1);
        expect(await repo.renewCommand(env.messageId, { attempts: 3, leaseUntil: at(9000), now: at(300) })).toBe(false);
        const again = await repo.claimCommand({ envelope: env, target: null, now: at(99_000), leaseUntil: at(100_000) });
        expect(again.status).toBe('finished');
        expect(again.command).toMatchObject({ status: 'completed', attempts: 2, output: { transactionId: 'tx-1' }, error: null, leaseUntil: null });
        expect(again.command.finishedAt).toEqual(at(200));
        expect(await repo.findCommand(env.messageId)).toEqual(again.command);
      });

      it('hands expired running commands to one recovering process at a time, oldest first', async () => {
        const a = command('old');
        const b = command('new');
        const other = createEnvelope('command', `Other-${saga}`, {}, { messageId: `${saga}-other` }, at(0));
        const elsewhere = { ...command('eu'), messageId: `${saga}-eu` };
        await repo.claimCommand({ envelope: a, target: null, now: at(0), leaseUntil: at(100) });
        await repo.claimCommand({ envelope: b, target: null, now: at(10), leaseUntil: at(5000) });
        await repo.claimCommand({ envelope: other, target: null, now: at(0), leaseUntil: at(100) });
        await repo.claimCommand({ envelope: elsewhere, target: 'eu', now: at(0), leaseUntil: at(100) });
        const claim = { now: at(200), leaseUntil: at(1200), limit: 10, types: [`ChargeCard-${saga}`], group: null };
        const [mine, theirs] = await Promise.all([repo.claimExpiredCommands(claim), repo.claimExpiredCommands(claim)]);
        // Only expired commands of the types asked for, untargeted or of the asking group; each claimed once.
        const claimed = [...mine, ...theirs].filter((c) => c.id.startsWith(saga));
        expect(claimed.map((c) => c.id)).toEqual([a.messageId]);
        const eu = await repo.claimExpiredCommands({ ...claim, group: 'eu' });
        expect(eu.map((c) => c.id)).toEqual([elsewhere.messageId]);
        expect((await repo.findCommand(other.messageId))!.leaseUntil).toEqual(at(100));
        expect(claimed[0]!.leaseUntil).toEqual(at(1200));
        expect(await repo.findCommand('no-such-command')).toBeNull();
      });

      it('lists commands newest first, filtered and paginated', async () => {
        for (const [k, id] of ['p1', 'p2', 'p3'].entries()) {
          await repo.claimCommand({ envelope: command(id), target: null, now: at(k * 10), leaseUntil: at(1000) });
        }
        const first = await repo.listCommands({ correlationId: 'order-1', commandType: `ChargeCard-${saga}`, status: 'running', limit: 2 });
        const mine = (p: typeof first) => p.items.map((c) => c.id.replace(`${saga}-`, ''));
        expect(mine(first)).toEqual(['p3', 'p2']);
        const second = await repo.listCommands({ commandType: `ChargeCard-${saga}`, limit: 2, cursor: first.nextCursor! });
        expect(mine(second)).toEqual(['p1']);
        expect(second.nextCursor).toBeNull();
      });
    });

    it('treats an id that is not a UUID as unknown', async () => {
      expect(await repo.findById('not-a-uuid')).toBeNull();
      expect(await repo.history('not-a-uuid')).toEqual([]);
    });

    it('rejects any write to a deleted instance, and lets its correlation id start a new one', async () => {
      const v1 = await insert({ correlationId: 'again' });
      await repo.commit({ kind: 'delete', instance: v1, expectedVersion: 1 });
      await expect(repo.commit(updateOf(v1).commit)).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(repo.commit({ kind: 'delete', instance: v1, expectedVersion: 1 })).rejects.toBeInstanceOf(ConcurrencyError);
      const fresh = await insert({ correlationId: 'again' });
      expect((await repo.findByCorrelation(saga, 'again'))!.id).toBe(fresh.id);
    });

    describe('monitoring queries', () => {
      const t0 = Date.UTC(2025, 0, 1);
      const seed = async () => {
        const rows: SagaInstanceRecord[] = [];
        for (let i = 0; i < 7; i++) {
          const at = new Date(t0 + i * 1000);
          rows.push(
            await insert({
              correlationId: `c-${i}`,
              state: i % 2 ? 'Odd' : 'Even',
              status: i === 6 ? 'completed' : i === 5 ? 'compensation_failed' : 'active',
              createdAt: at,
              updatedAt: at,
            }),
          );
        }
        return rows;
      };

      it('lists by saga, state, status and correlation id', async () => {
        await seed();
        const ids = async (q: Parameters<SagaRepository['list']>[0]) =>
          (await repo.list({ sagaName: saga, ...q })).items.map((r) => r.correlationId).sort();
        expect(await ids({ state: 'Odd' })).toEqual(['c-1', 'c-3', 'c-5']);
        expect(await ids({ status: 'completed' })).toEqual(['c-6']);
        expect(await ids({ status: ['completed', 'compensation_failed'] })).toEqual(['c-5', 'c-6']);
        expect(await ids({ correlationId: 'c-2' })).toEqual(['c-2']);
        expect(await ids({ state: 'Odd', status: 'active' })).toEqual(['c-1', 'c-3']);
      });

      it('finds stale instances: not updated since a time', async () => {
        await seed();
        const stale = await repo.list({ sagaName: saga, updatedBefore: new Date(t0 + 3000), order: 'asc' });
        expect(stale.items.map((r) => r.correlationId)).toEqual(['c-0', 'c-1', 'c-2']);
      });

      it('orders by update time (newest first by default) and pages with cursors without gaps or repeats', async () => {
        await seed();
        const all = await repo.list({ sagaName: saga });
        expect(all.items.map((r) => r.correlationId)).toEqual(['c-6', 'c-5', 'c-4', 'c-3', 'c-2', 'c-1', 'c-0']);
        expect(all.nextCursor).toBeNull();
        for (const order of ['asc', 'desc'] as const) {
          const seen: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const page = await repo.list({ sagaName: saga, order, limit: 3, ...(cursor && { cursor }) });
            seen.push(...page.items.map((r) => r.correlationId));
            cursor = page.nextCursor ?? undefined;
            pages++;
          } while (cursor && pages < 10); // bounded: a cursor that never ends fails instead of hanging
          expect(pages).toBe(3);
          const expected = ['c-0', 'c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6'];
          expect(seen).toEqual(order === 'asc' ? expected : expected.reverse());
        }
      });

      for (const order of ['asc', 'desc'] as const) {
        it(`pages through ties on updatedAt exactly once, broken by id (${order})`, async () => {
          const made: SagaInstanceRecord[] = [];
          for (let i = 0; i < 23; i++) {
            const at = new Date(t0 + (i % 5) * 1000); // many instances share a time
            made.push(await insert({ createdAt: at, updatedAt: at }));
          }
          const seen: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const page = await repo.list({ sagaName: saga, order, limit: 5, ...(cursor && { cursor }) });
            seen.push(...page.items.map((r) => r.id));
            cursor = page.nextCursor ?? undefined;
            pages++;
          } while (cursor && pages < 10);
          expect(pages).toBe(5);
          const expected = [...made].sort((x, y) => x.updatedAt.getTime() - y.updatedAt.getTime() || (x.id < y.id ? -1 : 1));
          if (order === 'desc') expected.reverse();
          expect(seen).toEqual(expected.map((r) => r.id));
        });
      }

      it('gives no next cursor when the last page is exactly full, and pages 50 by default', async () => {
        for (let i = 0; i < 51; i++) await insert({ updatedAt: new Date(t0 + i * 1000) });
        const page = await repo.list({ sagaName: saga });
        expect(page.items).toHaveLength(50);
        // The one row left fills a page of one exactly: there is no further page to point to.
        const last = await repo.list({ sagaName: saga, limit: 1, cursor: page.nextCursor! });
        expect(last.items).toHaveLength(1);
        expect(last.nextCursor).toBeNull();
      });

      it('matches nothing for an empty status list, and rejects a cursor it did not make', async () => {
        await seed();
        expect((await repo.list({ sagaName: saga, status: [] })).items).toEqual([]);
        await expect(repo.list({ sagaName: saga, cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidCursorError);
        // Forged cursors are refused before any query: a date PostgreSQL cannot hold, a NUL, a loose date.
        const forge = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
        for (const cursor of [
          forge(`+275760-09-13T00:00:00.000Z|${uuidv7()}`),
          forge(`-000001-01-01T00:00:00.000Z|${uuidv7()}`),
          forge('2020-01-01T00:00:00.000Z|a\u0000b'),
          forge(`2020|${uuidv7()}`),
          'a/b',
        ]) {
          await expect(repo.list({ sagaName: saga, cursor }), cursor).rejects.toMatchObject({ code: 'SAGA_CURSOR_INVALID' });
        }
        expect(await repo.countByState(`${saga}-nobody`)).toEqual([]);
      });

      it('rejects an invalid page size', async () => {
        await expect(repo.list({ sagaName: saga, limit: 0 })).rejects.toBeInstanceOf(RangeError);
      });

      it('counts instances per saga, state and status', async () => {
        await seed();
        await repo.commit(insertOf(makeInstance({ sagaName: `${saga}-z`, state: 'Even' })));
        const counts = await repo.countByState(saga);
        expect(counts).toEqual([
          { sagaName: saga, state: 'Even', status: 'active', count: 3 },
          { sagaName: saga, state: 'Even', status: 'completed', count: 1 },
          { sagaName: saga, state: 'Odd', status: 'active', count: 2 },
          { sagaName: saga, state: 'Odd', status: 'compensation_failed', count: 1 },
        ]);
        const everything = await repo.countByState();
        expect(everything.some((c) => c.sagaName === `${saga}-z`)).toBe(true);
      });
    });

    runLockContract(() => repo, () => saga);
  });
}
