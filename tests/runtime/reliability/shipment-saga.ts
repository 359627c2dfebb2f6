/**
 * A small saga for the reliability tests: `ShipRequested` sends a `Ship` command, `Shipped` finishes.
 * Its action fails while `failures` says so, and its compensation records each run.
 */
import { z } from 'zod';
import { defineCommand, defineEvent, defineSaga, type RetryPolicy } from '../../../src/index.ts';

export const ShipRequested = defineEvent('ShipRequested', z.object({ orderId: z.string(), failTimes: z.number().int().default(0) }));
export const Shipped = defineEvent('Shipped', z.object({ orderId: z.string() }));
export const Cancelled = defineEvent('Cancelled', z.object({ orderId: z.string() }));
export const Ship = defineCommand('Ship', z.object({ orderId: z.string() }));
export const Unship = defineCommand('Unship', z.object({ orderId: z.string() }));

export class FlakyError extends Error {
  override name = 'FlakyError';
}

export interface ShipmentProbe {
  /** Attempts of the `ShipRequested` action per order. */
  readonly attempts: Map<string, number>;
  /** Runs of the `unship` compensation per order, and the attempt number each saw. */
  readonly unshipRuns: Map<string, number[]>;
  /** How many times `unship` should still fail, per order. */
  readonly unshipFailures: Map<string, number>;
}

export function shipmentSaga(options: { retry?: RetryPolicy; compensationRetry?: RetryPolicy; eventRetry?: RetryPolicy } = {}) {
  const probe: ShipmentProbe = { attempts: new Map(), unshipRuns: new Map(), unshipFailures: new Map() };
  const saga = defineSaga('shipment', {
    data: z.object({ orderId: z.string().default('') }),
    states: ['Shipping', 'Done'],
    ...(options.retry && { retry: options.retry }),
    ...(options.compensationRetry && { compensationRetry: options.compensationRetry }),
  })
    .event(ShipRequested, { ...(options.eventRetry && { retry: options.eventRetry }) })
    .compensation('unship', z.object({ orderId: z.string() }), (args, ctx) => {
      const runs = probe.unshipRuns.get(args.orderId) ?? [];
      runs.push(ctx.attempt);
      probe.unshipRuns.set(args.orderId, runs);
      const failuresLeft = probe.unshipFailures.get(args.orderId) ?? 0;
      if (failuresLeft > 0) {
        probe.unshipFailures.set(args.orderId, failuresLeft - 1);
        throw new FlakyError('carrier API down');
      }
      ctx.send(Unship, { orderId: args.orderId });
    })
    .initially((s) =>
      s
        .when(ShipRequested)
        .then((ctx) => {
          const n = (probe.attempts.get(ctx.event.orderId) ?? 0) + 1;
          probe.attempts.set(ctx.event.orderId, n);
          if (n <= ctx.event.failTimes) throw new FlakyError(`attempt ${n} failed`);
          ctx.data.orderId = ctx.event.orderId;
          ctx.compensation.add('unship', { orderId: ctx.event.orderId });
        })
        .send(Ship, (ctx) => ({ orderId: ctx.data.orderId }))
        .transitionTo('Shipping'),
    )
    .during('Shipping', (s) =>
      s
        .when(Shipped)
        .transitionTo('Done')
        .when(Cancelled)
        .compensate()
        .finalize(),
    );
  return { saga, probe };
}
