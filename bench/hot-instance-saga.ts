/**
 * @module bench/hot-instance-saga
 *
 * The saga of the hot-instance workload: every `Bumped` adds one to a counter, in any state, so N events
 * applied exactly once leave `count` at N and the instance at version N (history sequences 1..N). Also the
 * protocol between the driver and its worker processes.
 */
import { z } from 'zod';
import { defineEvent, defineSaga } from '../src/index.ts';

export const Bumped = defineEvent('Bumped', z.object({ worker: z.number().int(), seq: z.number().int() }));

export const HotCounter = defineSaga('hot-counter', {
  data: z.object({ count: z.number().int().default(0) }),
  states: ['Counting'],
})
  .initially((s) => s.when(Bumped).then((ctx) => void (ctx.data.count += 1)).transitionTo('Counting'))
  .during('Counting', (s) => s.when(Bumped).then((ctx) => void (ctx.data.count += 1)));

export const READY_MARK = 'HOT-READY';
export const DONE_MARK = 'HOT-DONE ';

/** What one worker reports. */
export interface HotWorkerReport {
  readonly worker: number;
  readonly applied: number;
  /** Error codes (or names) of the events that did not apply, and how many of each. */
  readonly failed: Record<string, number>;
  readonly deadLettered: number;
  /** Since the go signal: when its last event finished, in ms. */
  readonly lastMs: number;
}
