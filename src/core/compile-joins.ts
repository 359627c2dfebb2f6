/**
 * @module core/compile-joins
 * The compile-time half of joins (`saga.join()`): checks each join against the saga's handlers, gives a
 * constituent an implicit handler in the join's listed states that have none, and indexes the joins by
 * constituent event type, which is the one lookup the runtime makes per event.
 */
import { DefinitionError } from '../errors/definition-error.ts';
import type { SagaDefinition } from '../dsl/saga.ts';
import type { MessageDefinition } from '../messages/message-definition.ts';
import type { CompiledHandler } from './compiled-saga.ts';

/** A join as the runtime uses it. */
export interface CompiledJoin {
  /** The composite event's type: the join's name, and its key in an instance's `joins`. */
  readonly name: string;
  readonly composite: MessageDefinition;
  /** Constituent event types. */
  readonly events: readonly string[];
  /** Where a constituent counts; `undefined`: wherever a handler for it runs. */
  readonly states: ReadonlySet<string> | undefined;
  readonly payload: (data: unknown) => unknown;
}

type Table = Map<string, Map<string, CompiledHandler[]>>;

const NO_JOINS: ReadonlyMap<string, readonly CompiledJoin[]> = new Map();

/**
 * Checks the saga's joins and returns them by constituent type. Adds the implicit handlers to `table`
 * (before edges are derived from it, so the machine and diagrams show them as self-transitions).
 *
 * @example
 * const byConstituent = compileJoins(def, table, finalStates);
 * byConstituent.get('PaymentCaptured'); // [{ name: 'ReadyToShip', events: ['PaymentCaptured', 'StockReserved'], ... }]
 */
export function compileJoins(
  def: SagaDefinition,
  table: Table,
  finalStates: ReadonlySet<string>,
): ReadonlyMap<string, readonly CompiledJoin[]> {
  if (def.joins.size === 0) return NO_JOINS;
  const byConstituent = new Map<string, CompiledJoin[]>();
  for (const [name, spec] of def.joins) {
    const at = { saga: def.name, event: name };
    if (spec.states) {
      for (const state of spec.states) {
        if (finalStates.has(state)) {
          throw new DefinitionError({ ...at, state }, 'join(): a final state takes no events, so nothing can count there');
        }
        const handlers = table.get(state)!;
        // A listed state without a handler for a constituent accepts it for the join: a handler that
        // only counts it. A state with handlers (guarded ones included) keeps exactly those.
        for (const message of spec.events) {
          if (!handlers.has(message.name)) handlers.set(message.name, [implicitHandler(state, message, name)]);
        }
      }
    }
    if (![...table.values()].some((byEvent) => byEvent.has(name))) {
      throw new DefinitionError(at, `the composite event of join() is not handled in any state: add during(..., s => s.when(${name})...)`);
    }
    const states = spec.states ? new Set(spec.states) : undefined;
    for (const message of spec.events) {
      const counts = [...table].some(
        ([state, byEvent]) => (states === undefined || states.has(state)) && byEvent.get(message.name)?.some((h) => !h.ignore),
      );
      if (!counts) {
        throw new DefinitionError(
          at,
          `join(): '${message.name}' can never count: no state${states ? ' listed in states' : ''} handles it ` +
            '(ignore() does not count); handle it with when(), or list the states where it arrives',
        );
      }
    }
    const join: CompiledJoin = Object.freeze({
      name,
      composite: spec.composite,
      events: Object.freeze(spec.events.map((e) => e.name)),
      states,
      payload: spec.payload,
    });
    for (const event of join.events) {
      const list = byConstituent.get(event);
      if (list) list.push(join);
      else byConstituent.set(event, [join]);
    }
  }
  return byConstituent;
}

function implicitHandler(state: string, message: MessageDefinition, composite: string): CompiledHandler {
  return Object.freeze({
    message,
    guard: undefined,
    guardLabel: undefined,
    ignore: false,
    activities: Object.freeze([]),
    id: `${state}/${message.name}#join:${composite}`,
  });
}
