/**
 * Bounded resources: `maxPayloadBytes` holds for publish() and dispatch() as for receive(); a dead
 * letter keeps an oversized payload truncated, with its size and SHA-256; the dead-letter listing of
 * the API carries no envelopes and a count comes from the store; an instance's history is paged.
 * On the in-memory store and on PostgreSQL.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createEnvelope,
  defineEvent,
  defineSaga,
  InMemorySagaRepository,
  isTruncated,
  PayloadTooLargeError,
  SagaOperations,
  SagaOrchestrator,
  type SagaRepository,
} from '../../src/index.ts';
import { createSagaflowApi } from '../../src/http/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';

const Posted = defineEvent('Posted', z.object({ id: z.string(), text: z.string() }));
const Board = defineSaga('board', { data: z.object({ posts: z.number().default(0) }), states: ['Open'] })
  .event(Posted, { correlateBy: (p) => p.id })
  .initially((s) => s.when(Posted).then((ctx) => void (ctx.data.posts += 1)).transitionTo('Open'))
  .during('Open', (s) => s.when(Posted).then((ctx) => void (ctx.data.posts += 1)));

const LIMIT = 1024;
const db = useTestDatabase();
const stores: Array<[string, () => Promise<SagaRepository>]> = [
  ['in memory', async () => new InMemorySagaRepository()],
  ['PostgreSQL', () => db.repository({ poolSize: 2 })],
];

for (const [name, makeRepository] of stores) {
  describe(`bounded resources (${name})`, () => {
    const setUp = async () => {
      const repository = await makeRepository();
      const orchestrator = new SagaOrchestrator({ sagas: [Board], repository, outbox: false, maxPayloadBytes: LIMIT });
      return { repository, orchestrator };
    };

    it('publish() and dispatch() refuse a payload over maxPayloadBytes with PayloadTooLargeError and write nothing', async () => {
      const { repository, orchestrator } = await setUp();
      const big = { id: 'b-1', text: 'x'.repeat(LIMIT) };
      const published = await orchestrator.publish(Posted, big).then(() => undefined, (e: unknown) => e);
      expect(published).toBeInstanceOf(PayloadTooLargeError);
      expect((published as PayloadTooLargeError).code).toBe('SAGA_PAYLOAD_TOO_LARGE');
      expect((published as PayloadTooLargeError).bytes).toBe(Buffer.byteLength(JSON.stringify(big)));
      expect((published as PayloadTooLargeError).limit).toBe(LIMIT);
      await expect(orchestrator.dispatch(createEnvelope('event', 'Posted', big))).rejects.toBeInstanceOf(PayloadTooLargeError);
      // Multi-byte text is counted in UTF-8 bytes: 400 × '€' is 1,200 bytes.
      await expect(orchestrator.publish(Posted, { id: 'b-1', text: '€'.repeat(400) })).rejects.toBeInstanceOf(PayloadTooLargeError);
      expect(await repository.findByCorrelation('board', 'b-1', { fresh: true })).toBeNull();
      // Just under the limit passes.
      await orchestrator.publish(Posted, { id: 'b-1', text: 'x'.repeat(LIMIT - 40) });
      expect((await repository.findByCorrelation('board', 'b-1', { fresh: true }))?.version).toBe(1);
      await orchestrator.close();
    });

    it('receive() keeps an oversized payload truncated to the limit, with its size and SHA-256, never more', async () => {
      const { repository, orchestrator } = await setUp();
      const payload = { id: 'b-2', text: 'é'.repeat(50_000) };
      const json = JSON.stringify(payload);
      const result = await orchestrator.receive(JSON.stringify(createEnvelope('event', 'Posted', payload)));
      expect(result.status === 'dead-lettered' && result.deadLetter.reason).toBe('payload-too-large');
      if (result.status !== 'dead-lettered') return;
      const stored = await repository.getDeadLetter(result.deadLetter.id);
      const kept = (stored?.envelope as { payload: unknown; type: string }).payload;
      expect((stored?.envelope as { type: string }).type).toBe('Posted');
      expect(isTruncated(kept)).toBe(true);
      if (!isTruncated(kept)) return;
      expect(kept.bytes).toBe(Buffer.byteLength(json));
      expect(kept.sha256).toBe(createHash('sha256').update(json).digest('hex'));
      expect(Buffer.byteLength(kept.head)).toBeLessThanOrEqual(LIMIT);
      expect(json.startsWith(kept.head)).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThan(2 * LIMIT);

      // Input that is no envelope at all keeps at most the limit of its text as well.
      const garbage = await orchestrator.receive('not json '.repeat(10_000));
      const letter = garbage.status === 'dead-lettered' ? await repository.getDeadLetter(garbage.deadLetter.id) : null;
      const raw = (letter?.envelope as { raw: unknown }).raw;
      expect(isTruncated(raw) && raw.bytes).toBe(90_000);
      await orchestrator.close();
    });

    it('lists dead letters without envelopes and counts them in the store; one letter still shows its envelope', async () => {
      const { repository, orchestrator } = await setUp();
      // The PostgreSQL database is the file's: start from no letters.
      for (const d of (await repository.listDeadLetters({ limit: 1000 })).items) await repository.deleteDeadLetter(d.id);
      for (let i = 0; i < 3; i++) await orchestrator.receive(createEnvelope('event', 'Nope', { i }));
      await orchestrator.receive(createEnvelope('event', 'Posted', { id: 42 }));
      expect(await repository.countDeadLetters()).toBe(4);
      expect(await repository.countDeadLetters({ reason: 'unknown-event' })).toBe(3);
      expect(await repository.countDeadLetters({ messageType: 'Posted' })).toBe(1);
      const summaries = await repository.listDeadLetters({ withoutEnvelope: true });
      expect(summaries.items).toHaveLength(4);
      expect(summaries.items.every((d) => d.envelope === undefined)).toBe(true);

      const api = createSagaflowApi(new SagaOperations({ repository, sagas: [Board] }), { dashboard: false });
      const list = (await (await api.request('/api/dead-letters')).json()) as { items: Array<Record<string, unknown>> };
      expect(list.items).toHaveLength(4);
      for (const item of list.items) expect(item).not.toHaveProperty('envelope');
      expect(list.items[0]).toMatchObject({ reason: 'unknown-event', messageType: 'Nope', errorCode: 'SAGA_UNKNOWN_EVENT' });
      expect(await (await api.request('/api/dead-letters/count')).json()).toEqual({ count: 4 });
      expect(await (await api.request('/api/dead-letters/count?reason=invalid-payload')).json()).toEqual({ count: 1 });
      const one = (await (await api.request(`/api/dead-letters/${String(list.items[0]!.id)}`)).json()) as { deadLetter: { envelope: { payload: unknown } } };
      expect(one.deadLetter.envelope.payload).toEqual({ i: 0 });
      await api.close();
      await orchestrator.close();
    });

    it("pages an instance's history in the store and in the API, newest page first, in sequence order", async () => {
      const { repository, orchestrator } = await setUp();
      for (let i = 0; i < 7; i++) await orchestrator.publish(Posted, { id: 'b-3', text: `post ${i}` });
      const instance = await repository.findByCorrelation('board', 'b-3', { fresh: true });
      const sequences = async (q: { before?: number; limit?: number }) => (await repository.history(instance!.id, q)).map((h) => h.sequence);
      expect(await sequences({ limit: 3 })).toEqual([5, 6, 7]);
      expect(await sequences({ limit: 3, before: 5 })).toEqual([2, 3, 4]);
      expect(await sequences({ limit: 3, before: 2 })).toEqual([1]);
      expect(await sequences({ before: 1 })).toEqual([]);
      expect((await repository.history(instance!.id)).map((h) => h.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);

      const api = createSagaflowApi(new SagaOperations({ repository, sagas: [Board] }), { dashboard: false });
      const get = async (query: string) =>
        (await (await api.request(`/api/instances/${instance!.id}${query}`)).json()) as { history: Array<{ sequence: number; payload: unknown }>; historyBefore: number | null };
      const newest = await get('?historyLimit=3');
      expect(newest.history.map((h) => h.sequence)).toEqual([5, 6, 7]);
      expect(newest.historyBefore).toBe(5);
      const older = await get(`?historyLimit=3&historyBefore=${newest.historyBefore}`);
      expect(older.history.map((h) => h.sequence)).toEqual([2, 3, 4]);
      const oldest = await get(`?historyLimit=3&historyBefore=${older.historyBefore}`);
      expect(oldest.history.map((h) => h.sequence)).toEqual([1]);
      expect(oldest.historyBefore).toBeNull();
      expect((await get('')).history).toHaveLength(7); // default page: 100
      expect((await api.request(`/api/instances/${instance!.id}?historyBefore=0`)).status).toBe(400);
      await api.close();
      await orchestrator.close();
    });
  });
}
