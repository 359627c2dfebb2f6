/**
 * `saga.join()`: the definition mistakes it refuses, and how a join shows in the machine and diagram.
 */
import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { z } from 'zod';
import { DefinitionError, defineEvent, defineSaga } from '../../src/index.ts';

const Start = defineEvent('Start', z.object({}));
const A = defineEvent('A', z.object({}));
const B = defineEvent('B', z.object({}));
const C = defineEvent('C', z.object({}));
const AB = defineEvent('AB', z.object({}));
const Needy = defineEvent('Needy', z.object({ orderId: z.string() }));

const base = () =>
  defineSaga('joiner', { data: z.object({ orderId: z.string().default('o') }), states: ['Waiting', 'Done'] })
    .initially((s) => s.when(Start).transitionTo('Waiting'))
    .during('Done', (s) => s.ignore(A));

function refusal(build: () => unknown): DefinitionError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(DefinitionError);
    return error as DefinitionError;
  }
  throw new Error('expected a DefinitionError');
}

describe('join() definition errors', () => {
  it('needs at least two events', () => {
    expect(refusal(() => base().join(AB, [A])).message).toMatch(/at least two events/);
    expect(refusal(() => base().join(AB, [])).message).toMatch(/at least two events/);
  });

  it('refuses an event listed twice', () => {
    expect(refusal(() => base().join(AB, [A, B, A])).message).toMatch(/lists 'A' twice/);
  });

  it('refuses a composite that is one of its own constituents', () => {
    expect(refusal(() => base().join(AB, [A, AB])).message).toMatch(/cannot be one of its own constituents/);
  });

  it('refuses a second join for the same composite', () => {
    expect(refusal(() => base().join(AB, [A, B]).join(AB, [B, C])).message).toMatch(/declared twice/);
  });

  it('refuses things that are not events, and states that are not declared', () => {
    expect(refusal(() => base().join({} as never, [A, B])).message).toMatch(/composite event made with defineEvent/);
    expect(refusal(() => base().join(AB, [A, 'B' as never])).message).toMatch(/array of events/);
    const e = refusal(() => base().join(AB, [A, B], { states: ['Nope' as never] }));
    expect(e.state).toBe('Nope');
    expect(refusal(() => base().join(AB, [A, B], { states: [] })).message).toMatch(/non-empty/);
  });

  it('needs a payload function when the composite does not accept {}', () => {
    expect(refusal(() => base().join(Needy, [A, B])).message).toMatch(/does not accept \{\}/);
    expect(() => base().join(Needy, [A, B], { payload: (d) => ({ orderId: d.orderId }) })).not.toThrow();
  });

  it('refuses, when compiled, a composite that no state handles', () => {
    const saga = base()
      .join(AB, [A, B])
      .during('Waiting', (s) => s.when(A).when(B).transitionTo('Done'));
    const e = refusal(() => saga.validate());
    expect(e.event).toBe('AB');
    expect(e.message).toMatch(/composite event of join\(\) is not handled in any state/);
  });

  it('refuses, when compiled, a constituent that can never count (handled nowhere, or only ignored)', () => {
    const unhandled = base()
      .join(AB, [A, B])
      .during('Waiting', (s) => s.when(A).when(AB).transitionTo('Done'));
    expect(refusal(() => unhandled.validate()).message).toMatch(/'B' can never count/);
    // A is only ignored (in Done).
    const ignored = base()
      .join(AB, [A, B])
      .during('Waiting', (s) => s.when(B).when(AB).transitionTo('Done'));
    expect(refusal(() => ignored.validate()).message).toMatch(/'A' can never count/);
  });

  it('refuses a final state among the states', () => {
    const saga = defineSaga('final-join', { data: z.object({}), states: ['Waiting', 'Over'] })
      .join(AB, [A, B], { states: ['Over'] })
      .initially((s) => s.when(Start).transitionTo('Waiting'))
      .during('Waiting', (s) => s.when(C).transitionTo('Over').finalize().when(AB));
    expect(refusal(() => saga.validate()).message).toMatch(/final state takes no events/);
  });

  it('returns a new saga and leaves the one it was called on unchanged', () => {
    const before = base();
    const after = before.join(AB, [A, B]);
    expect(before.definition.joins.size).toBe(0);
    expect(after.definition.joins.get('AB')!.events.map((e) => e.name)).toEqual(['A', 'B']);
    expect('then' in after).toBe(false);
  });
});

describe('a join in the machine and the diagram', () => {
  const saga = defineSaga('gate', { data: z.object({}), states: ['Closed', 'Opened', 'Through'] })
    .join(AB, [A, B], { states: ['Opened'] })
    .initially((s) => s.when(Start).transitionTo('Closed'))
    .during('Closed', (s) => s.when(C).transitionTo('Opened'))
    .during('Opened', (s) => s.when(A).when(AB).transitionTo('Through'));

  it('shows the composite as an ordinary edge and the implicit handler as a self-transition', () => {
    const edges = saga.compiled.edges.map((e) => `${e.from} --${e.event}--> ${e.target ?? e.from}`);
    expect(edges).toContain('Opened --AB--> Through');
    expect(edges).toContain('Opened --B--> Opened');
    expect(saga.compiled.table.get('Opened')!.get('B')![0]!.id).toBe('Opened/B#join:AB');
    // Not in Closed: the join counts only in Opened.
    expect(saga.compiled.table.get('Closed')!.has('B')).toBe(false);

    const machine = saga.machine;
    const [next] = transition(machine, machine.resolveState({ value: 'Opened', context: { data: {} } }), { type: 'AB', payload: {} });
    expect(next.value).toBe('Through');
  });

  it('notes where the composite comes from in the Mermaid diagram', () => {
    const diagram = saga.toMermaid();
    expect(diagram).toContain('Opened --> Through: AB');
    expect(diagram).toContain('note right of Opened : AB = join of A + B');
  });
});
