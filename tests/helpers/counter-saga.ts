/**
 * A minimal saga for runtime tests: `Started` creates an instance, every `Incremented` adds to a counter.
 */
import { z } from 'zod';
import { defineEvent, defineSaga } from '../../src/index.ts';

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
