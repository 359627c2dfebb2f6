/**
 * @module core/compile
 * Turns a saga definition into its compiled form and rejects inconsistent definitions with a
 * `DefinitionError` naming saga, state and event.
 */
import { DefinitionError } from '../errors/definition-error.ts';
import { FINAL_STATE, INITIAL_STATE, type HandlerSpec } from '../dsl/activities.ts';
import type { SagaDefinition } from '../dsl/saga.ts';
import { checkedRetry } from '../dsl/retry-option.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { CompiledEvent, CompiledHandler, CompiledSaga } from './compiled-saga.ts';
import { edgesOf, type Edge } from './edges.ts';
import { outcomesOf } from './outcomes.ts';
import { compileJoins } from './compile-joins.ts';
import { checkNameMigrations } from '../evolution/check-migrations.ts';

type Table = Map<string, Map<string, CompiledHandler[]>>;

export function compileSaga(def: SagaDefinition): CompiledSaga {
  const saga = def.name;
  const finalStates = collectFinalStates(def);
  const usesFinal = finalStates.has(FINAL_STATE);
  const states = [INITIAL_STATE, ...def.states, ...(usesFinal ? [FINAL_STATE] : [])];

  const own: Table = new Map(states.map((s) => [s, new Map()]));
  const any = new Map<string, HandlerSpec[]>();
  let initiallyDeclared = false;

  for (const block of def.blocks) {
    const targets =
      block.scope.kind === 'initially' ? [INITIAL_STATE] : block.scope.kind === 'during' ? block.scope.states : null;
    if (block.scope.kind === 'initially') initiallyDeclared = true;
    for (const handler of block.handlers) {
      if (targets === null) {
        push(any, handler.message.name, handler);
        continue;
      }
      for (const state of targets) {
        const handlers = own.get(state);
        if (handlers === undefined) {
          throw new DefinitionError(
            { saga, state, event: handler.message.name },
            `the '${state}' state exists only when some handler finalize()s without a transitionTo()`,
          );
        }
        if (finalStates.has(state) && !handler.ignore) {
          throw new DefinitionError(
            { saga, state, event: handler.message.name },
            'a final state cannot handle events (it is entered by finalize()); use ignore() or remove the handler',
          );
        }
        push(handlers, handler.message.name, handler as CompiledHandler);
      }
    }
  }
  if (!initiallyDeclared || own.get(INITIAL_STATE)!.size === 0) {
    throw new DefinitionError({ saga, state: INITIAL_STATE }, 'no initially() handlers: nothing can create an instance');
  }

  const table = mergeAndCheck(saga, states, finalStates, own, any);
  const joins = compileJoins(def, table, finalStates);
  const edges: Edge[] = [];
  for (const [state, byEvent] of table) {
    for (const [event, handlers] of byEvent) for (const h of handlers) edges.push(...edgesOf(state, event, h));
  }
  checkReachable(saga, states, edges);
  checkTimedEvents(def, table);
  const events = compileEvents(def, table);
  checkNameMigrations({ saga }, def.dataVersion, def.migrations, new Set(events.keys()), new Set(def.compensations.keys()));

  return {
    name: saga,
    definition: def,
    states,
    finalStates,
    table,
    events,
    compensations: def.compensations,
    edges,
    joins,
  };
}

/** A timeout or deadline event that no handler can take would only ever be dead-lettered. */
function checkTimedEvents(def: SagaDefinition, table: Table): void {
  for (const [state, timed] of def.timeouts) {
    if (!table.get(state)?.has(timed.message.name)) {
      throw new DefinitionError(
        { saga: def.name, state, event: timed.message.name },
        `the timeout event is not handled in '${state}': add during('${state}', s => s.when(${timed.message.name})...)`,
      );
    }
  }
  const deadline = def.deadline?.message.name;
  if (deadline !== undefined && ![...table.values()].some((byEvent) => byEvent.has(deadline))) {
    throw new DefinitionError({ saga: def.name, event: deadline }, 'the deadline event is not handled in any state');
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** States entered by a chain that finalizes. Entering one of them always completes the instance. */
function collectFinalStates(def: SagaDefinition): Set<string> {
  const finals = new Set<string>();
  for (const block of def.blocks) {
    for (const handler of block.handlers) {
      for (const o of outcomesOf(handler.activities)) if (o.finalize && o.target) finals.add(o.target);
    }
  }
  return finals;
}

/**
 * Builds each state's handler list (its own handlers, then `duringAny`'s) and rejects handlers that can
 * never run because an unguarded handler for the same event comes before them. A state's own unguarded
 * handler may deliberately override a `duringAny` one.
 */
function mergeAndCheck(
  saga: string,
  states: readonly string[],
  finals: ReadonlySet<string>,
  own: Table,
  any: ReadonlyMap<string, readonly HandlerSpec[]>,
): Table {
  const table: Table = new Map();
  for (const state of states) {
    const merged = new Map<string, CompiledHandler[]>();
    const mine = own.get(state)!;
    const anyApplies = state !== INITIAL_STATE && !finals.has(state);
    const events = new Set([...mine.keys(), ...(anyApplies ? any.keys() : [])]);
    for (const event of events) {
      const list: CompiledHandler[] = [];
      for (const [source, handlers] of [
        ['state', mine.get(event) ?? []],
        ['any', anyApplies ? (any.get(event) ?? []) : []],
      ] as const) {
        for (const h of handlers) {
          const blocker = list.find((prev) => prev.guard === undefined);
          if (blocker) {
            if (source === 'any' && !blocker.id.includes('(any)')) break; // overridden by the state's own handler
            throw new DefinitionError(
              { saga, state, event },
              'two unguarded handlers for one state and event: the second can never run (add a guard to the first, or remove one)',
            );
          }
          const where = source === 'any' ? '(any)' : state;
          list.push({ ...h, id: `${where}/${event}#${list.length}` });
        }
      }
      if (list.length) merged.set(event, list);
    }
    table.set(state, merged);
  }
  return table;
}

function checkReachable(saga: string, states: readonly string[], edges: readonly Edge[]): void {
  const next = new Map<string, string[]>();
  for (const e of edges) if (e.target !== null) push(next, e.from, e.target);
  const seen = new Set([INITIAL_STATE]);
  const queue = [INITIAL_STATE];
  while (queue.length) {
    for (const to of next.get(queue.shift()!) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  for (const state of states) {
    if (!seen.has(state)) {
      throw new DefinitionError({ saga, state }, 'no transition leads to this state from Initial: it can never be reached');
    }
  }
}

function compileEvents(def: SagaDefinition, table: Table): Map<string, CompiledEvent> {
  const handled = new Map<string, { message: CompiledHandler['message']; state: string }>();
  for (const [state, byEvent] of table) {
    for (const [event, handlers] of byEvent) if (!handled.has(event)) handled.set(event, { message: handlers[0]!.message, state });
  }
  for (const name of def.events.keys()) {
    if (!handled.has(name)) {
      throw new DefinitionError({ saga: def.name, event: name }, 'event() configures an event that no state handles');
    }
  }
  const initial = table.get(INITIAL_STATE)!;
  const events = new Map<string, CompiledEvent>();
  for (const [name, { message, state }] of handled) {
    const options = def.events.get(name)?.options ?? {};
    const by = options.correlateBy;
    // A join's composite arrives addressed to its instance (like a timeout), so it needs no correlateBy.
    if (by === undefined && def.correlation === 'explicit' && !def.joins.has(name)) {
      throw new DefinitionError(
        { saga: def.name, state, event: name },
        "no way to correlate: this saga uses correlation 'explicit', so declare .event(" + name + ', { correlateBy })',
      );
    }
    if (by !== undefined && typeof by !== 'function') {
      throw new DefinitionError({ saga: def.name, event: name }, 'correlateBy must be a function of the payload');
    }
    events.set(name, {
      message,
      correlate: by
        ? (payload: unknown, envelope: Envelope) => by(payload, envelope)
        : (_payload: unknown, envelope: Envelope) => envelope.correlationId,
      missingInstance: options.missingInstance ?? def.missingInstance,
      unhandled: options.unhandled ?? def.unhandledEvent,
      retry: checkedRetry(options.retry, { saga: def.name, event: name }, 'retry') ?? def.retry,
      startsInstance: initial.has(name),
    });
  }
  return events;
}
