/**
 * The pure half of joins: what one applied event does to an instance's join progress.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../../src/index.ts';
import type { CompiledJoin } from '../../src/core/compile-joins.ts';
import { compositeOps, planJoins } from '../../src/runtime/joins.ts';

const Ready = defineEvent('Ready', z.object({ orderId: z.string().default('none') }));
const Done = defineEvent('Done', z.object({}));

const ready: CompiledJoin = { name: 'Ready', composite: Ready, events: ['A', 'B'], states: undefined, payload: () => ({}) };
const done: CompiledJoin = { name: 'Done', composite: Done, events: ['A', 'B', 'C'], states: new Set(['Waiting']), payload: () => ({}) };

describe('planJoins', () => {
  it('changes nothing for an event that is no constituent', () => {
    expect(planJoins(undefined, { Ready: ['A'] }, 'X', 'S')).toBeUndefined();
  });

  it('records the first constituent and completes the join on the last, in either order', () => {
    for (const [first, second] of [['A', 'B'], ['B', 'A']] as const) {
      const one = planJoins([ready], undefined, first, 'S')!;
      expect(one).toEqual({ joins: { Ready: [first] }, completed: [] });
      const two = planJoins([ready], one.joins, second, 'S')!;
      expect(two.joins).toBeUndefined();
      expect(two.completed).toEqual([ready]);
    }
  });

  it('counts a constituent that arrives again once', () => {
    expect(planJoins([ready], { Ready: ['A'] }, 'A', 'S')).toBeUndefined();
  });

  it('counts only in the listed states when the join has states', () => {
    expect(planJoins([done], undefined, 'A', 'Elsewhere')).toBeUndefined();
    expect(planJoins([done], undefined, 'A', 'Waiting')!.joins).toEqual({ Done: ['A'] });
  });

  it('advances every join an event belongs to, and keeps the others (and unknown ones) as they were', () => {
    const plan = planJoins([ready, done], { Ready: ['B'], Done: ['B', 'C'], Gone: ['Z'] }, 'A', 'Waiting')!;
    expect(plan.completed.map((j) => j.name)).toEqual(['Ready', 'Done']);
    expect(plan.joins).toEqual({ Gone: ['Z'] });
  });

  it('never changes the progress it was given, and freezes what it returns', () => {
    const previous = Object.freeze({ Done: Object.freeze(['A']) });
    const plan = planJoins([done], previous, 'B', 'Waiting')!;
    expect(previous).toEqual({ Done: ['A'] });
    expect(plan.joins).toEqual({ Done: ['A', 'B'] });
    expect(Object.isFrozen(plan.joins)).toBe(true);
    expect(Object.isFrozen(plan.joins!.Done)).toBe(true);
  });
});

describe('compositeOps', () => {
  it('schedules each completed composite for now under join:<Composite>, its payload parsed from the data', () => {
    const withPayload: CompiledJoin = { ...ready, payload: (d) => ({ orderId: (d as { id: string }).id }) };
    expect(compositeOps([withPayload], { id: 'o-1' }, 1_000)).toEqual([
      { kind: 'set', key: 'join:Ready', message: Ready, payload: { orderId: 'o-1' }, dueAt: 1_000 },
    ]);
    expect(compositeOps([ready], {}, 5)[0]).toMatchObject({ payload: { orderId: 'none' } });
  });

  it('throws when the payload does not fit the composite', () => {
    const bad: CompiledJoin = { ...ready, payload: () => ({ orderId: 42 }) };
    expect(() => compositeOps([bad], {}, 0)).toThrow();
  });
});
