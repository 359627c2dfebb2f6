/**
 * @module core/to-machine
 * Builds a real XState v5 machine from a compiled saga, so users can inspect it, visualise it, and run
 * XState's own tools (`getShortestPaths`, `transition`, the inspector) on it.
 *
 * The machine models decisions, not effects: its context is `{ data }`, its events are
 * `{ type, payload }`, guards and branch conditions run the saga's own predicates, and actions are named
 * descriptors (`saga.then`, `saga.publish`, ...) with no-op implementations — the orchestrator performs the
 * effects at the edge. Branch conditions are evaluated on the data as the event arrived; keep them free of
 * dependence on changes made by earlier actions of the same chain if the model is to match the runtime.
 * A `catch` path is modelled as the event `{ type: 'sagaflow.fault', event, error }`.
 */
import { setup, type AnyStateMachine } from 'xstate';
import type { CompiledSaga } from './compiled-saga.ts';
import type { Edge } from './edges.ts';
import { INITIAL_STATE } from '../dsl/activities.ts';

export type SagaMachine = AnyStateMachine;

/** The event type that models an action error caught by `catch`. */
export const FAULT_EVENT = 'sagaflow.fault';

export interface SagaMachineEvent {
  readonly type: string;
  readonly payload?: unknown;
  /** For `sagaflow.fault`: the event whose handling threw, and the error. */
  readonly event?: string;
  readonly error?: unknown;
}

interface MachineContext {
  readonly data: unknown;
}

function guardContext(context: MachineContext, event: SagaMachineEvent, state: string, saga: string): unknown {
  return {
    event: event.payload,
    data: context.data,
    envelope: { kind: 'event', type: event.event ?? event.type, messageId: 'model', payload: event.payload, timestamp: '', headers: {} },
    instance: { id: 'model', sagaName: saga, correlationId: 'model', state, version: 0, isNew: state === INITIAL_STATE },
  };
}

function edgeTest(edge: Edge, saga: string): (context: MachineContext, event: SagaMachineEvent) => boolean {
  return (context, event) => {
    if (edge.fault) {
      if (event.event !== edge.event || !(event.error instanceof edge.fault)) return false;
    }
    const ctx = guardContext(context, event, edge.from, saga);
    if (edge.guard && !edge.guard(ctx)) return false;
    for (const c of edge.conditions) if (Boolean(c.test(ctx)) !== c.expect) return false;
    return true;
  };
}

function guardName(edge: Edge, index: number): string {
  const parts = [edge.guardLabel, ...edge.conditions.map((c) => (c.expect ? c.label : `!${c.label}`))].filter(Boolean);
  const fault = edge.fault ? `catch ${edge.fault.name}` : '';
  return `${edge.handlerId}[${index}]${fault ? ` ${fault}` : ''}${parts.length ? ` ${parts.join(' && ')}` : ''}`;
}

function actionsOf(edge: Edge): Array<{ type: string; params: { label: string } }> {
  return edge.actions.map((a) => {
    const [kind, label = ''] = a.split(':');
    return { type: `saga.${kind}`, params: { label } };
  });
}

export function toMachine(compiled: CompiledSaga): SagaMachine {
  const guards: Record<string, (args: { context: MachineContext; event: SagaMachineEvent }) => boolean> = {};
  const states: Record<string, { type?: 'final'; on?: Record<string, unknown[]> }> = {};
  for (const state of compiled.states) {
    states[state] = compiled.finalStates.has(state) ? { type: 'final' } : { on: {} };
  }
  compiled.edges.forEach((edge, index) => {
    const node = states[edge.from]!;
    if (!node.on) return; // final states take no transitions
    const type = edge.fault ? FAULT_EVENT : edge.event;
    const transition: Record<string, unknown> = { actions: actionsOf(edge) };
    if (edge.target !== null) transition.target = edge.target;
    const needsGuard = edge.fault || edge.guard || edge.conditions.length > 0;
    if (needsGuard) {
      const name = guardName(edge, index);
      const test = edgeTest(edge, compiled.name);
      guards[name] = ({ context, event }) => test(context, event);
      transition.guard = name;
    }
    (node.on[type] ??= []).push(transition);
  });
  const noop = () => {};
  const initialData = compiled.definition.initialData;
  return setup({
    types: {} as { context: MachineContext; events: SagaMachineEvent; input: { data?: unknown } | undefined },
    guards,
    actions: {
      'saga.then': noop,
      'saga.publish': noop,
      'saga.send': noop,
      'saga.compensate': noop,
      'saga.catch': noop,
    },
  }).createMachine({
    id: compiled.name,
    initial: INITIAL_STATE,
    context: ({ input }) => ({ data: input?.data ?? initialData() }),
    // The config is generated, so XState's literal-type inference has nothing to check here.
    states: states as never,
  }) as unknown as SagaMachine;
}
