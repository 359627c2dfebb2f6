/**
 * @module core/edges
 * The flat list of a saga's transitions: one edge per (state, event, handler, outcome). The XState
 * machine, the Mermaid diagram and the reachability check are all built from it.
 */
import type { CompiledHandler } from './compiled-saga.ts';
import { outcomesOf, type Condition } from './outcomes.ts';
import type { ErrorClass } from '../dsl/context.ts';

export interface Edge {
  readonly from: string;
  readonly event: string;
  readonly handlerId: string;
  /** `null`: the instance stays where it is (an `ignore`, or a chain without `transitionTo`). */
  readonly target: string | null;
  readonly guard: ((ctx: unknown) => boolean) | undefined;
  readonly guardLabel: string | undefined;
  readonly conditions: readonly Condition[];
  readonly finalize: boolean;
  readonly compensate: boolean;
  readonly ignore: boolean;
  readonly actions: readonly string[];
  /** The error class of a `catch` path. */
  readonly fault: ErrorClass | undefined;
}

export function edgesOf(state: string, event: string, handler: CompiledHandler): Edge[] {
  const base = {
    from: state,
    event,
    handlerId: handler.id,
    guard: handler.guard,
    guardLabel: handler.guardLabel,
    ignore: handler.ignore,
  };
  if (handler.ignore) {
    return [{ ...base, target: null, conditions: [], finalize: false, compensate: false, actions: [], fault: undefined }];
  }
  return outcomesOf(handler.activities).map((o) => ({
    ...base,
    target: o.target ?? null,
    conditions: o.conditions,
    finalize: o.finalize,
    compensate: o.compensate,
    actions: o.actions,
    fault: o.fault,
  }));
}
