/**
 * Values PostgreSQL cannot store (a NUL, a lone surrogate, NaN, a BigInt) in a payload, a header, a
 * correlation id, saga data or compensation arguments: `UnstorableValueError` naming the field, before
 * anything is written, the same on the in-memory store and on PostgreSQL; `receive()` dead-letters them
 * with a reason of their own instead of throwing them back to the transport.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createEnvelope,
  defineCompensation,
  defineEvent,
  defineSaga,
  InMemorySagaRepository,
  SagaOrchestrator,
  UnstorableValueError,
  type SagaRepository,
} from '../../src/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';

const Opened = defineEvent('Opened', z.object({ id: z.string(), note: z.string(), extra: z.unknown().optional() }));
const Noted = defineEvent('Noted', z.object({ id: z.string(), note: z.string() }));
const Refunded = defineEvent('Refunded', z.object({ id: z.string(), tx: z.string() }));
const Refund = defineCompensation('refund', z.object({ tx: z.string() }));

const Ticket = defineSaga('ticket', {
  data: z.object({ notes: z.array(z.string()).default([]) }),
  states: ['Open'],
})
  .event(Opened, { correlateBy: (p) => p.id })
  .event(Noted, { correlateBy: (p) => p.id })
  .event(Refunded, { correlateBy: (p) => p.id })
  .initially((s) => s.when(Opened).then((ctx) => void ctx.data.notes.push('opened')).transitionTo('Open'))
  .during('Open', (s) =>
    s
      // The note reaches the saga's data: the data check, not the payload's, is what refuses it here.
      .when(Noted)
      .then((ctx) => void ctx.data.notes.push(ctx.event.note.replace('[nul]', '\u0000')))
      .when(Refunded)
      .then((ctx) => ctx.compensation.add(Refund, { tx: ctx.event.tx.replace('[lone]', '\uD800') })),
  )
  .compensation(Refund, () => {});

const db = useTestDatabase();
const stores: Array<[string, () => Promise<SagaRepository>]> = [
  ['in memory', async () => new InMemorySagaRepository()],
  ['PostgreSQL', () => db.repository({ poolSize: 2 })],
];

async function refusal(promise: Promise<unknown>): Promise<UnstorableValueError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(UnstorableValueError);
  return error as UnstorableValueError;
}

for (const [name, makeRepository] of stores) {
  describe(`values no store can hold (${name})`, () => {
    const setUp = async () => {
      const repository = await makeRepository();
      const orchestrator = new SagaOrchestrator({ sagas: [Ticket], repository, outbox: false });
      return { repository, orchestrator };
    };

    it('publish() refuses a NUL in a payload string with UnstorableValueError naming the field, and writes nothing', async () => {
      const { repository, orchestrator } = await setUp();
      const error = await refusal(orchestrator.publish(Opened, { id: 't-1', note: 'a\u0000b' }));
      expect(error.code).toBe('SAGA_VALUE_UNSTORABLE');
      expect(error.path).toBe('payload.note');
      expect(error.message).toMatch(/payload\.note: a NUL character \(U\+0000\) at index 1/);
      expect(await repository.findByCorrelation('ticket', 't-1', { fresh: true })).toBeNull();
      await orchestrator.close();
    });

    it('refuses a lone surrogate, NaN or a BigInt deep in a payload, a NUL in a header or in the correlation id', async () => {
      const { repository, orchestrator } = await setUp();
      const cases: Array<[Promise<unknown>, string, RegExp]> = [
        [orchestrator.publish(Opened, { id: 't-2', note: 'ok', extra: { list: [1, 'x\uDC00'] } }), 'payload.extra.list[1]', /lone UTF-16 surrogate/],
        [orchestrator.publish(Opened, { id: 't-2', note: 'ok', extra: { n: Number.NaN } }), 'payload.extra.n', /NaN/],
        [orchestrator.publish(Opened, { id: 't-2', note: 'ok', extra: { n: 1n } }), 'payload.extra.n', /BigInt/],
        [orchestrator.publish(Opened, { id: 't-2', note: 'ok' }, { headers: { tenant: 'a\u0000' } }), 'headers.tenant', /NUL/],
        [orchestrator.publish(Opened, { id: 't-2', note: 'ok' }, { correlationId: 'c\u0000' }), 'correlationId', /NUL/],
        // Correlated from the payload: the payload's check names it.
        [orchestrator.publish(Opened, { id: 't\u0000', note: 'ok' }), 'payload.id', /NUL/],
      ];
      for (const [attempt, path, problem] of cases) {
        const error = await refusal(attempt);
        expect(error.path).toBe(path);
        expect(error.problem).toMatch(problem);
      }
      expect(await repository.findByCorrelation('ticket', 't-2', { fresh: true })).toBeNull();
      await orchestrator.close();
    });

    it('refuses saga data and compensation arguments an action made unstorable, and keeps the stored instance', async () => {
      const { repository, orchestrator } = await setUp();
      await orchestrator.publish(Opened, { id: 't-3', note: 'fine' });
      const data = await refusal(orchestrator.publish(Noted, { id: 't-3', note: 'x[nul]' }));
      expect(data.path).toBe('data.notes[1]');
      const args = await refusal(orchestrator.publish(Refunded, { id: 't-3', tx: 'tx-[lone]' }));
      expect(args.path).toBe('compensation[0].args.tx');
      const stored = await repository.findByCorrelation('ticket', 't-3', { fresh: true });
      expect(stored?.version).toBe(1);
      expect(stored?.data).toEqual({ notes: ['opened'] });
      expect(stored?.compensation).toEqual([]);
      expect(await repository.history(stored!.id)).toHaveLength(1);
      await orchestrator.close();
    });

    it('receive() dead-letters such a message with the reason unstorable-value instead of throwing it to the transport', async () => {
      const { repository, orchestrator } = await setUp();
      const envelope = createEnvelope('event', 'Opened', { id: 't-4', note: 'a\u0000b' });
      const result = await orchestrator.receive(JSON.stringify(envelope));
      expect(result.status).toBe('dead-lettered');
      if (result.status !== 'dead-lettered') return;
      expect(result.deadLetter.reason).toBe('unstorable-value');
      expect(result.deadLetter.errorCode).toBe('SAGA_VALUE_UNSTORABLE');
      expect(result.deadLetter.errorMessage).toMatch(/payload\.note/);
      // Kept as evidence with the NUL made visible, which PostgreSQL can store.
      const stored = await repository.getDeadLetter(result.deadLetter.id);
      expect((stored?.envelope as { payload: { note: string } }).payload.note).toBe('a\\u0000b');
      expect(await repository.findByCorrelation('ticket', 't-4', { fresh: true })).toBeNull();

      // Data an action made unstorable is dead-lettered too (a redelivery could never succeed either).
      await orchestrator.publish(Opened, { id: 't-5', note: 'fine' });
      const noted = await orchestrator.receive(createEnvelope('event', 'Noted', { id: 't-5', note: '[nul]' }));
      expect(noted.status === 'dead-lettered' && noted.deadLetter.reason).toBe('unstorable-value');
      expect(noted.status === 'dead-lettered' && noted.deadLetter.errorMessage).toMatch(/data\.notes\[1\]/);
      await orchestrator.close();
    });
  });
}
