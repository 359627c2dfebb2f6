/**
 * A minimal saga for runtime tests: `Started` creates an instance, every `Incremented` adds to a counter.
 */
import { expect } from 'vitest';
import { z } from 'zod';
import { defineEvent, defineSaga, type SagaRepository } from '../../src/index.ts';

export const Started = defineEvent('Started', z.object({ by: z.number().default(0) }));
export const Incremented = defineEvent('Incremented', z.object({ by: z.number().int() }));
export const Stopped = defineEvent('Stopped', z.object({}));

export const CounterSaga = defineSaga('counter', {
  data: z.object({ count: z.number().int().default(0), seen: z.array(z.number()).default([]) }),
  states: ['Counting', 'Stopped'],
})
  .initially((s) =>
    s
      .when(Started)
      .then((ctx) => {
        ctx.data.count = ctx.event.by;
      })
      .transitionTo('Counting'),
  )
  .during('Counting', (s) =>
    s
      .when(Incremented)
      .then((ctx) => {
        ctx.data.count += ctx.event.by;
        ctx.data.seen.push(ctx.event.by);
      })
      .when(Stopped)
      .transitionTo('Stopped')
      .finalize(),
  )
  .duringAny((s) => s.ignore(Started));

/**
 * Every `Incremented` applied exactly once, whatever the interleaving: the sum and the values seen,
 * versions 1..N+1 with no gap, and one history row per write with distinct message ids.
 */
export async function expectEveryIncrementAppliedOnce(repository: SagaRepository, correlationId: string, increments: number[]) {
  const record = (await repository.findByCorrelation('counter', correlationId, { fresh: true }))!;
  const data = record.data as { count: number; seen: number[] };
  expect(record.version).toBe(1 + increments.length);
  expect(data.count).toBe(increments.reduce((a, b) => a + b, 0));
  expect([...data.seen].sort((a, b) => a - b)).toEqual([...increments].sort((a, b) => a - b));
  const history = await repository.history(record.id);
  expect(history.map((h) => h.sequence)).toEqual(Array.from({ length: 1 + increments.length }, (_, i) => i + 1));
  expect(new Set(history.map((h) => h.messageId)).size).toBe(history.length);
}
