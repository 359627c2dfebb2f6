/**
 * The reliability contract: the inbox (a redelivered message does not apply twice), the transactional
 * outbox (messages stored exactly when their write applies, claimed by one relay at a time) and dead
 * letters, as every `SagaRepository` must provide them. Each implementation runs it in a few lines:
 *
 *   runReliabilityContract('in-memory', async () => ({ repository: new InMemorySagaRepository() }));
 *
 * A store may be shared between tests (and suites): every test uses its own saga name, and claims the
 * outbox only within its own window of time, earlier than every window before it, so messages that
 * earlier tests left behind are never due in a later test's claims.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../../src/errors/concurrency-error.ts';
import { DuplicateMessageError } from '../../src/errors/duplicate-message-error.ts';
import { InvalidCursorError } from '../../src/errors/invalid-cursor-error.ts';
import { uuidv7 } from '../../src/messages/uuid-v7.ts';
import type { DeadLetter, OutboxEntry, SagaInstanceRecord, SagaRepository } from '../../src/repository/types.ts';
import {
  insertOf,
  makeDeadLetter,
  makeEnvelope,
  makeInstance,
  makeOutboxEntry,
  updateOf,
  withMessageId,
  withOutbox,
} from '../helpers/records.ts';
import type { MakeRepository } from './repository-contract.ts';

const DAY = 86_400_000;
/** Windows start here and go back one day per test. */
const LATEST_WINDOW = Date.UTC(2001, 0, 1);
/** Shared by every suite in a file, which may share one store. */
let windows = 0;

export function runReliabilityContract(name: string, make: MakeRepository): void {
  describe(`SagaRepository reliability contract: ${name}`, () => {
    let repo: SagaRepository;
    let cleanup: (() => Promise<void>) | undefined;
    let saga: string;
    /** The start of this test's window: messages it stages are due from here on. */
    let t0: number;
    const at = (ms: number) => new Date(t0 + ms);
    let n = 0;

    beforeEach(async () => {
      ({ repository: repo, cleanup } = await make());
      saga = `reliability-${Date.now().toString(36)}-${n++}`;
      t0 = LATEST_WINDOW - windows++ * DAY;
    });
    afterEach(async () => {
      await cleanup?.();
    });

    const insert = async (overrides: Partial<SagaInstanceRecord> = {}) => {
      const instance = makeInstance({ sagaName: saga, ...overrides });
      await repo.commit(insertOf(instance));
      return instance;
    };
    /** Messages due at the start of this test's window. */
    const entries = (count: number): OutboxEntry[] => Array.from({ length: count }, () => makeOutboxEntry(at(0)));
    /** Everything due in this test's window, claimed (and so leased past its end). */
    const claimAll = async () => repo.claimOutbox({ limit: 1000, now: at(DAY / 2), leaseUntil: at(DAY - 1) });
    const ids = (messages: readonly { id: string }[]) => messages.map((m) => m.id).sort();

    describe('inbox', () => {
      it('refuses an update whose message the instance already applied, with DuplicateMessageError, and changes nothing', async () => {
        const v1 = await insert({ state: 'A' });
        const first = updateOf(v1, { state: 'B' });
        await repo.commit(first.commit);
        const messageId = first.commit.kind === 'update' ? first.commit.history.messageId : '';
        const size = await repo.outboxSize();

        // Redelivered after it applied: the version check would pass, the inbox must not.
        const again = updateOf(first.next, { state: 'C' });
        const error = await repo
          .commit(withOutbox(withMessageId(again.commit, messageId), entries(2)))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateMessageError);
        expect(error).toMatchObject({ sagaName: saga, correlationId: v1.correlationId, messageId });
        expect(await repo.findById(v1.id)).toEqual(first.next);
        expect((await repo.history(v1.id)).map((h) => h.sequence)).toEqual([1, 2]);
        expect(await repo.outboxSize()).toBe(size);
        expect(await claimAll()).toEqual([]);
      });

      it('refuses a redelivery of any message of a long history (40 writes), and keeps the rows in order', async () => {
        let current = await insert({ state: 'A' });
        const messageIds: string[] = [];
        for (let k = 0; k < 40; k++) {
          const step = updateOf(current, { state: k % 2 ? 'A' : 'B' });
          await repo.commit(step.commit);
          if (step.commit.kind === 'update') messageIds.push(step.commit.history.messageId);
          current = step.next;
        }
        for (const old of [messageIds[2]!, messageIds[20]!, messageIds[39]!]) {
          await expect(repo.commit(withMessageId(updateOf(current, { state: 'Z' }).commit, old))).rejects.toBeInstanceOf(DuplicateMessageError);
        }
        expect(await repo.findById(current.id)).toEqual(current);
        const history = await repo.history(current.id);
        expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
        expect(history.slice(1).map((h) => h.messageId)).toEqual(messageIds);
        expect((await repo.history(current.id, { limit: 5, before: 20 })).map((h) => h.sequence)).toEqual([15, 16, 17, 18, 19]);
      });

      it('knows the message that created the instance', async () => {
        const v1 = makeInstance({ sagaName: saga });
        const created = insertOf(v1);
        await repo.commit(created);
        const messageId = created.kind === 'insert' ? created.history.messageId : '';
        await expect(repo.commit(withMessageId(updateOf(v1).commit, messageId))).rejects.toBeInstanceOf(DuplicateMessageError);
        // Delivered again to the start of the saga, it finds the instance created: still a duplicate.
        const twin = makeInstance({ sagaName: saga, correlationId: v1.correlationId });
        await expect(repo.commit(withMessageId(insertOf(twin), messageId))).rejects.toBeInstanceOf(DuplicateMessageError);
        expect(await repo.findById(v1.id)).toEqual(v1);
        expect(await repo.history(v1.id)).toHaveLength(1);
      });

      it('calls a stale redelivery a duplicate, not a conflict', async () => {
        const v1 = await insert();
        const first = updateOf(v1, { state: 'B' });
        await repo.commit(first.commit);
        const messageId = first.commit.kind === 'update' ? first.commit.history.messageId : '';
        // Read before the first delivery applied: its version check fails too, but the message is why.
        const stale = withMessageId(updateOf(v1, { state: 'C' }).commit, messageId);
        await expect(repo.commit(stale)).rejects.toBeInstanceOf(DuplicateMessageError);
        expect(await repo.findById(v1.id)).toEqual(first.next);
      });

      it('lets one of many concurrent deliveries of one message apply; the others are duplicates', async () => {
        const v1 = await insert();
        const messageId = uuidv7();
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            repo.commit(withOutbox(withMessageId(updateOf(v1, { state: `S${i}` }).commit, messageId), entries(1))),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateMessageError);
        expect((await repo.findById(v1.id))!.version).toBe(2);
        expect(await repo.history(v1.id)).toHaveLength(2);
        expect(await claimAll()).toHaveLength(1);
      });

      it('lets one of many concurrent deliveries of a creating message create the instance; the others are duplicates', async () => {
        const messageId = uuidv7();
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, () =>
            repo.commit(
              withOutbox(withMessageId(insertOf(makeInstance({ sagaName: saga, correlationId: 'race' })), messageId), entries(1)),
            ),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DuplicateMessageError);
        expect((await repo.list({ sagaName: saga })).items).toHaveLength(1);
        expect(await claimAll()).toHaveLength(1);
      });

      it('still calls a stale update with a new message, or an insert of a taken correlation id, a ConcurrencyError', async () => {
        const v1 = await insert({ correlationId: 'taken' });
        await repo.commit(updateOf(v1, { state: 'B' }).commit);
        await expect(repo.commit(updateOf(v1, { state: 'C' }).commit)).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(repo.commit(updateOf(v1, { state: 'C' }).commit)).rejects.not.toBeInstanceOf(DuplicateMessageError);
        const twin = makeInstance({ sagaName: saga, correlationId: 'taken' });
        const error = await repo.commit(insertOf(twin)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrencyError);
      });

      it('keeps an inbox per instance: one message may apply to several instances', async () => {
        const a = await insert();
        const b = await insert();
        const messageId = uuidv7();
        await repo.commit(withMessageId(updateOf(a).commit, messageId));
        await repo.commit(withMessageId(updateOf(b).commit, messageId));
        expect((await repo.findById(a.id))!.version).toBe(2);
        expect((await repo.findById(b.id))!.version).toBe(2);
      });

      it('forgets the inbox of a deleted instance with it', async () => {
        const v1 = makeInstance({ sagaName: saga, correlationId: 'again' });
        const created = insertOf(v1);
        await repo.commit(created);
        await repo.commit({ kind: 'delete', instance: v1, expectedVersion: 1 });
        const messageId = created.kind === 'insert' ? created.history.messageId : '';
        const fresh = makeInstance({ sagaName: saga, correlationId: 'again' });
        await repo.commit(withMessageId(insertOf(fresh), messageId));
        expect((await repo.findByCorrelation(saga, 'again'))!.id).toBe(fresh.id);
      });
    });

    describe('outbox with commits', () => {
      it('stores the messages of an insert, an update and a delete that apply', async () => {
        const size = await repo.outboxSize();
        const v1 = makeInstance({ sagaName: saga });
        const [a, b, c, d] = entries(4);
        await repo.commit(withOutbox(insertOf(v1), [a!]));
        const { commit, next } = updateOf(v1, { state: 'Done', status: 'completed' });
        await repo.commit(withOutbox(commit, [b!, c!]));
        await repo.commit({ kind: 'delete', instance: next, expectedVersion: 2, outbox: [d!] });
        expect(await repo.outboxSize()).toBe(size + 4);
        // Messages outlive the instance that a delete removed.
        const claimed = await claimAll();
        expect(ids(claimed)).toEqual(ids([a!, b!, c!, d!]));
        for (const m of claimed) {
          const entry = [a, b, c, d].find((e) => e!.id === m.id)!;
          expect(m.envelope).toEqual(entry.envelope);
        }
      });

      it('stores no message of a write that does not apply: stale update, lost insert race, stale delete', async () => {
        const v1 = await insert({ correlationId: 'taken' });
        const { commit, next: v2 } = updateOf(v1);
        await repo.commit(commit);
        const size = await repo.outboxSize();
        await expect(repo.commit(withOutbox(updateOf(v1).commit, entries(2)))).rejects.toBeInstanceOf(ConcurrencyError);
        const twin = makeInstance({ sagaName: saga, correlationId: 'taken' });
        await expect(repo.commit(withOutbox(insertOf(twin), entries(1)))).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(repo.commit({ kind: 'delete', instance: v2, expectedVersion: 1, outbox: entries(1) })).rejects.toBeInstanceOf(
          ConcurrencyError,
        );
        const ghost = makeInstance({ sagaName: saga });
        await expect(repo.commit(withOutbox(updateOf(ghost).commit, entries(1)))).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await repo.outboxSize()).toBe(size);
        expect(await claimAll()).toEqual([]);
      });

      it('stores the messages of exactly the writes that won when many race', async () => {
        const v1 = await insert();
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => repo.commit(withOutbox(updateOf(v1, { state: `S${i}` }).commit, entries(2)))),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await claimAll()).toHaveLength(2);
      });
    });

    describe('claimOutbox', () => {
      it('claims due messages only, oldest first, at most `limit`, leasing them and counting attempts', async () => {
        const [m1, m2, m3, later] = [
          makeOutboxEntry(at(0)),
          makeOutboxEntry(at(0)),
          makeOutboxEntry(at(1000)),
          makeOutboxEntry(at(10_000)),
        ];
        // Staged out of order: the order of claims is by id (UUIDv7: creation order), not by staging.
        await repo.stageOutbox([later!, m3!, m2!]);
        await repo.stageOutbox([m1!]);

        const first = await repo.claimOutbox({ limit: 2, now: at(5000), leaseUntil: at(60_000) });
        expect(first.map((m) => m.id)).toEqual([m1!.id, m2!.id]);
        for (const m of first) {
          expect(m.attempts).toBe(1);
          expect(m.availableAt).toEqual(at(60_000));
          expect(m.createdAt).toBeInstanceOf(Date);
        }
        // The rest of what is due; the first two are leased, the last is not due yet.
        const second = await repo.claimOutbox({ limit: 10, now: at(5000), leaseUntil: at(60_000) });
        expect(second.map((m) => m.id)).toEqual([m3!.id]);
        expect(await repo.claimOutbox({ limit: 10, now: at(9999), leaseUntil: at(60_000) })).toEqual([]);
        // Once a lease ends (its relay died before markSent), the message is claimed again.
        const third = await repo.claimOutbox({ limit: 10, now: at(60_000), leaseUntil: at(120_000) });
        expect(third.map((m) => [m.id, m.attempts])).toEqual([
          [m1!.id, 2],
          [m2!.id, 2],
          [m3!.id, 2],
          [later!.id, 1],
        ]);
      });

      it('never hands one message to two relays claiming at the same time', async () => {
        const staged = entries(60);
        await repo.stageOutbox(staged);
        const claims = await Promise.all(
          Array.from({ length: 8 }, () => repo.claimOutbox({ limit: 10, now: at(1000), leaseUntil: at(60_000) })),
        );
        const claimed = claims.flat().map((m) => m.id);
        expect(new Set(claimed).size).toBe(claimed.length);
        // Whatever the concurrent relays skipped is still there for the next claim.
        const rest = await repo.claimOutbox({ limit: 100, now: at(1000), leaseUntil: at(60_000) });
        expect([...claimed, ...rest.map((m) => m.id)].sort()).toEqual(ids(staged));
      });

      it('claims nothing for a limit below one', async () => {
        await repo.stageOutbox(entries(1));
        expect(await repo.claimOutbox({ limit: 0, now: at(1000), leaseUntil: at(60_000) })).toEqual([]);
        expect(await claimAll()).toHaveLength(1);
      });

      it('round-trips envelopes exactly', async () => {
        const envelopes = [
          makeEnvelope({
            kind: 'command',
            type: 'ShipOrder',
            payload: {
              s: 'ünïcødé ✓ 日本語 🎉',
              quote: 'quote " and \\ backslash, line\nbreak',
              n: [0, -1, 1.5, 1e-7, Number.MAX_SAFE_INTEGER],
              nested: { a: { b: [1, [2, { c: null }]] } },
              empty: { o: {}, a: [] },
              t: true,
            },
            headers: { causationId: uuidv7(), tenant: 'acme' },
            timestamp: '2025-01-02T03:04:05.678Z',
          }),
          makeEnvelope({ payload: null }),
          makeEnvelope({ payload: 'just a string' }),
        ];
        const staged = envelopes.map((e) => makeOutboxEntry(at(0), e));
        await repo.stageOutbox(staged);
        const claimed = await claimAll();
        expect(claimed.map((m) => m.envelope)).toStrictEqual(envelopes);
      });
    });

    describe('stageOutbox, markSent and outboxSize', () => {
      it('stages each id once: an id already staged is skipped, its lease untouched', async () => {
        const size = await repo.outboxSize();
        const [e1, e2] = entries(2);
        await repo.stageOutbox([e1!, e2!]);
        expect(await repo.outboxSize()).toBe(size + 2);
        const [claimed] = await repo.claimOutbox({ limit: 1, now: at(1000), leaseUntil: at(60_000) });
        expect(claimed!.id).toBe(e1!.id);
        await repo.stageOutbox([{ ...e1!, availableAt: at(0) }, e2!]);
        await repo.stageOutbox([]);
        expect(await repo.outboxSize()).toBe(size + 2);
        expect((await repo.claimOutbox({ limit: 10, now: at(1000), leaseUntil: at(60_000) })).map((m) => m.id)).toEqual([e2!.id]);
      });

      it('removes what was sent, and ignores ids it does not know (another relay got there first)', async () => {
        const size = await repo.outboxSize();
        const staged = entries(3);
        await repo.stageOutbox(staged);
        const claimed = await claimAll();
        await repo.markSent([claimed[0]!.id, claimed[1]!.id]);
        expect(await repo.outboxSize()).toBe(size + 1);
        await repo.markSent([claimed[0]!.id, uuidv7(), 'not-a-uuid']);
        await repo.markSent([]);
        expect(await repo.outboxSize()).toBe(size + 1);
        // Sent messages are gone for good: after the lease only the unsent one comes back.
        const again = await repo.claimOutbox({ limit: 10, now: at(DAY - 1), leaseUntil: at(DAY - 1) });
        expect(again.map((m) => m.id)).toEqual([claimed[2]!.id]);
      });
    });

    describe('dead letters', () => {
      const letter = (overrides: Partial<DeadLetter> = {}) => makeDeadLetter({ sagaName: saga, ...overrides });

      it('round-trips a letter exactly, whatever arrived', async () => {
        const full = letter({
          reason: 'rejected',
          instanceId: uuidv7(),
          correlationId: 'order-1',
          replays: 2,
          createdAt: new Date('2025-01-01T00:00:00.123Z'),
          updatedAt: new Date('2025-01-02T00:00:00.456Z'),
        });
        const raw = letter({
          reason: 'malformed-envelope',
          errorCode: 'SAGA_ENVELOPE',
          errorMessage: 'not an object',
          envelope: { raw: '{not json "ünï" \\' },
          messageId: null,
          messageType: null,
          sagaName: null,
          correlationId: null,
        });
        await repo.addDeadLetter(full);
        await repo.addDeadLetter(raw);
        expect(await repo.getDeadLetter(full.id)).toStrictEqual(full);
        expect(await repo.getDeadLetter(raw.id)).toStrictEqual(raw);
      });

      it('lists by reason, saga and message type, oldest first, ties broken by id', async () => {
        const t = Date.UTC(2025, 0, 1);
        const made = [
          letter({ createdAt: new Date(t + 2000), reason: 'unknown-event', messageType: `${saga}.A` }),
          letter({ createdAt: new Date(t), reason: 'invalid-payload', messageType: `${saga}.B` }),
          letter({ createdAt: new Date(t + 1000), reason: 'unknown-event', messageType: `${saga}.B` }),
          letter({ createdAt: new Date(t + 1000), reason: 'retries-exhausted', messageType: `${saga}.A` }),
        ];
        for (const d of made) await repo.addDeadLetter(d);
        await repo.addDeadLetter(letter({ sagaName: `${saga}-other`, messageType: `${saga}.A` }));
        const list = async (q: Parameters<SagaRepository['listDeadLetters']>[0]) =>
          (await repo.listDeadLetters({ sagaName: saga, ...q })).items.map((d) => d.id);
        const byTime = [made[1]!, ...[made[2]!, made[3]!].sort((x, y) => (x.id < y.id ? -1 : 1)), made[0]!];
        expect(await list({})).toEqual(byTime.map((d) => d.id));
        expect(await list({ reason: 'unknown-event' })).toEqual([made[2]!.id, made[0]!.id]);
        expect(await list({ messageType: `${saga}.A` })).toEqual([made[3]!.id, made[0]!.id]);
        expect(await list({ reason: 'unknown-event', messageType: `${saga}.B` })).toEqual([made[2]!.id]);
        expect(await list({ reason: 'payload-too-large' })).toEqual([]);
        const bySagaAndType = await repo.listDeadLetters({ messageType: `${saga}.A` });
        expect(bySagaAndType.items.map((d) => d.sagaName).sort()).toEqual([saga, saga, `${saga}-other`]);
        expect((await repo.listDeadLetters({ sagaName: saga })).items[0]).toStrictEqual(made[1]);
      });

      it('pages through ties on createdAt exactly once, 50 by default', async () => {
        const t = Date.UTC(2025, 0, 1);
        const made: DeadLetter[] = [];
        for (let i = 0; i < 53; i++) {
          const d = letter({ createdAt: new Date(t + (i % 4) * 1000) });
          made.push(d);
          await repo.addDeadLetter(d);
        }
        const expected = [...made].sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1));
        const firstPage = await repo.listDeadLetters({ sagaName: saga });
        expect(firstPage.items).toHaveLength(50);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await repo.listDeadLetters({ sagaName: saga, limit: 10, ...(cursor && { cursor }) });
          seen.push(...page.items.map((d) => d.id));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor && pages < 12); // bounded: a cursor that never ends fails instead of hanging
        expect(pages).toBe(6);
        expect(seen).toEqual(expected.map((d) => d.id));
        // A last page that is exactly full points nowhere further.
        const last = await repo.listDeadLetters({ sagaName: saga, limit: 3, cursor: firstPage.nextCursor! });
        expect(last.items).toHaveLength(3);
        expect(last.nextCursor).toBeNull();
      });

      it('rejects an invalid page size or cursor', async () => {
        await expect(repo.listDeadLetters({ sagaName: saga, limit: 0 })).rejects.toBeInstanceOf(RangeError);
        await expect(repo.listDeadLetters({ sagaName: saga, cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidCursorError);
        const farFuture = Buffer.from(`+275760-09-13T00:00:00.000Z|${uuidv7()}`, 'utf8').toString('base64url');
        await expect(repo.listDeadLetters({ sagaName: saga, cursor: farFuture })).rejects.toBeInstanceOf(InvalidCursorError);
      });

      it('records a failed replay: replays + 1, the new error, updatedAt', async () => {
        const d = letter();
        await repo.addDeadLetter(d);
        const when = new Date(d.createdAt.getTime() + 5000);
        expect(await repo.updateDeadLetter(d.id, { errorCode: 'SAGA_X', errorMessage: 'still failing', at: when })).toBe(true);
        expect(await repo.updateDeadLetter(d.id, { errorCode: 'SAGA_Y', errorMessage: 'again', at: when })).toBe(true);
        expect(await repo.getDeadLetter(d.id)).toStrictEqual({
          ...d,
          replays: 2,
          errorCode: 'SAGA_Y',
          errorMessage: 'again',
          updatedAt: when,
        });
      });

      it('deletes a letter once', async () => {
        const d = letter();
        await repo.addDeadLetter(d);
        expect(await repo.deleteDeadLetter(d.id)).toBe(true);
        expect(await repo.deleteDeadLetter(d.id)).toBe(false);
        expect(await repo.getDeadLetter(d.id)).toBeNull();
        expect((await repo.listDeadLetters({ sagaName: saga })).items).toEqual([]);
      });

      it('treats unknown ids, and ids that are not UUIDs, as absent', async () => {
        const update = { errorCode: 'X', errorMessage: 'x', at: new Date() };
        for (const id of [uuidv7(), 'not-a-uuid']) {
          expect(await repo.getDeadLetter(id)).toBeNull();
          expect(await repo.updateDeadLetter(id, update)).toBe(false);
          expect(await repo.deleteDeadLetter(id)).toBe(false);
        }
      });
    });

    describe('schedules', () => {
      const schedule = (key: string, dueAt: Date) => ({ key, token: uuidv7(), type: 'Tick', dueAt });

      it('round-trips pending schedules with the instance, and none means none', async () => {
        const plain = await insert();
        expect((await repo.findById(plain.id))!.schedules ?? []).toEqual([]);
        const pending = [schedule('timeout:A', at(1000)), schedule('deadline', at(5000)), { ...schedule('request:Charge', at(9000)), requestId: 'cmd-1' }];
        const withSchedules = await insert({ schedules: pending });
        expect((await repo.findById(withSchedules.id))!.schedules).toEqual(pending);
        const { commit, next } = updateOf(withSchedules, { schedules: [pending[1]!] });
        await repo.commit(commit);
        expect((await repo.findByCorrelation(saga, next.correlationId, { fresh: true }))!.schedules).toEqual([pending[1]]);
        const cleared = updateOf(next, { schedules: [] });
        await repo.commit(cleared.commit);
        expect((await repo.findById(next.id))!.schedules ?? []).toEqual([]);
      });

      it('deletes cancelled outbox rows with the write that cancels them, and only if it applies', async () => {
        const instance = await insert();
        const [a, b, c] = entries(3);
        const first = updateOf(instance);
        await repo.commit(withOutbox(first.commit, [a!, b!, c!]));
        const stale = updateOf(instance); // expects version 1: refused
        await expect(repo.commit({ ...stale.commit, cancelOutbox: [a!.id] })).rejects.toBeInstanceOf(ConcurrencyError);
        const second = updateOf(first.next);
        await repo.commit({ ...second.commit, cancelOutbox: [a!.id, b!.id, uuidv7()] });
        const claimed = await repo.claimOutbox({ limit: 100, now: at(0), leaseUntil: at(1) });
        expect(claimed.map((m) => m.id)).toEqual([c!.id]);
      });

      it("claims on the store's own clock when given a lease instead of a time", async () => {
        const [due] = entries(1);
        const future = makeOutboxEntry(new Date(Date.UTC(3000, 0, 1)));
        await repo.stageOutbox([due!, future]);
        const claimed = await repo.claimOutbox({ limit: 1000, leaseMs: 60_000 });
        const ids = claimed.map((m) => m.id);
        expect(ids).toContain(due!.id);
        expect(ids).not.toContain(future.id);
        const mine = claimed.find((m) => m.id === due!.id)!;
        expect(mine.attempts).toBe(1);
        // Leased about a minute past the store's now (which is near this machine's, give or take).
        expect(Math.abs(mine.availableAt.getTime() - (Date.now() + 60_000))).toBeLessThan(30_000);
        expect((await repo.claimOutbox({ limit: 1000, leaseMs: 60_000 })).map((m) => m.id)).not.toContain(due!.id);
      });
    });
  });
}
