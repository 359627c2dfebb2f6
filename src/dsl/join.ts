/**
 * @module dsl/join
 * `saga.join(Composite, [A, B, ...])`: a composite event that the runtime raises on an instance once
 * every constituent event has arrived, in any order (MassTransit's `CompositeEvent`). This module holds
 * the declaration and the checks that need only the join itself; checks against the handlers run when
 * the saga is compiled (`core/compile-joins.ts`), and the runtime side is `runtime/joins.ts`.
 */
import { DefinitionError, type DefinitionLocation } from '../errors/definition-error.ts';
import type { InputOf, MessageDefinition } from '../messages/message-definition.ts';
import { FINAL_STATE, INITIAL_STATE } from './activities.ts';

/** What `saga.join()` takes besides the composite and its constituents. */
export interface JoinOptions<Data, States extends string, M extends MessageDefinition> {
  /** The composite's payload, from the instance data when the last constituent arrived. Default `{}`. */
  readonly payload?: (data: Readonly<Data>) => InputOf<M>;
  /**
   * The states in which a constituent counts. Default: wherever a handler for it runs. In a listed state
   * that has no handler for a constituent, the join accepts it by itself (a handler that does nothing
   * but count it).
   */
  readonly states?: readonly States[];
}

/** A declared join, as the saga definition keeps it. */
export interface JoinSpec {
  readonly composite: MessageDefinition;
  /** The constituents, at least two, no duplicates, the composite not among them. */
  readonly events: readonly MessageDefinition[];
  readonly payload: (data: unknown) => unknown;
  /** `undefined`: a constituent counts wherever a handler for it runs. */
  readonly states: readonly string[] | undefined;
}

/** The schedule key under which a join's composite event waits in the outbox (one per composite). */
export const joinKey = (composite: string): string => `join:${composite}`;

/**
 * Checks one `join()` call and returns its spec. Throws `DefinitionError` naming the saga and composite.
 *
 * @example
 * const spec = joinSpec({ saga: 'order' }, ['AwaitingBoth'], new Map(), ReadyToShip, [PaymentCaptured, StockReserved], {});
 */
export function joinSpec(
  where: DefinitionLocation,
  declaredStates: readonly string[],
  existing: ReadonlyMap<string, JoinSpec>,
  composite: MessageDefinition,
  events: readonly MessageDefinition[],
  options: JoinOptions<unknown, string, MessageDefinition> | undefined,
): JoinSpec {
  if (!isMessage(composite)) throw new DefinitionError(where, 'join() needs a composite event made with defineEvent()');
  const at = { ...where, event: composite.name };
  if (!Array.isArray(events) || !events.every(isMessage)) {
    throw new DefinitionError(at, 'join(): the constituents must be an array of events made with defineEvent()');
  }
  if (events.length < 2) throw new DefinitionError(at, `join() needs at least two events to wait for, got ${events.length}`);
  const names = events.map((e) => e.name);
  const twice = names.find((n, k) => names.indexOf(n) !== k);
  if (twice !== undefined) throw new DefinitionError(at, `join() lists '${twice}' twice`);
  if (names.includes(composite.name)) {
    throw new DefinitionError(at, 'join(): the composite event cannot be one of its own constituents');
  }
  if (existing.has(composite.name)) throw new DefinitionError(at, 'join() is declared twice for this composite event');

  const { payload, states } = options ?? {};
  if (payload !== undefined && typeof payload !== 'function') {
    throw new DefinitionError(at, 'join(): payload must be a function of the instance data');
  }
  // Without a payload function the composite carries `{}`: find out now, not when the join completes.
  if (payload === undefined && !composite.schema.safeParse({}).success) {
    throw new DefinitionError(at, "join(): the composite's schema does not accept {}; give options.payload: (data) => ...");
  }
  if (states !== undefined) {
    if (!Array.isArray(states) || states.length === 0) throw new DefinitionError(at, 'join(): states must be a non-empty array');
    for (const state of states) {
      if (state === INITIAL_STATE || state === FINAL_STATE || !declaredStates.includes(state)) {
        throw new DefinitionError(
          { ...at, state: String(state) },
          `join(): states must name declared states; declared states: ${declaredStates.join(', ')}`,
        );
      }
    }
  }
  return Object.freeze({
    composite,
    events: Object.freeze([...events]),
    payload: (payload as ((data: unknown) => unknown) | undefined) ?? (() => ({})),
    states: states === undefined ? undefined : Object.freeze([...new Set<string>(states)]),
  });
}

function isMessage(value: unknown): value is MessageDefinition {
  const m = value as MessageDefinition | null | undefined;
  return typeof m?.name === 'string' && typeof m.parse === 'function' && m.schema !== undefined;
}
