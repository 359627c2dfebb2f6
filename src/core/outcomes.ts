/**
 * @module core/outcomes
 * Walks a handler's activity chain and lists every way it can end: which branch conditions held, the
 * state it leaves the instance in, whether it finalizes or compensates, and the paths through `catch`.
 * Pure; used for the machine, diagrams and reachability.
 */
import { FINAL_STATE, type Activity } from '../dsl/activities.ts';
import type { ErrorClass } from '../dsl/context.ts';

export interface Condition {
  readonly test: (ctx: unknown) => boolean;
  readonly label: string;
  /** The branch taken when the condition evaluates to this. */
  readonly expect: boolean;
}

export interface Outcome {
  readonly conditions: readonly Condition[];
  /** `undefined`: the instance stays in its state. */
  readonly target: string | undefined;
  readonly finalize: boolean;
  readonly compensate: boolean;
  /** Descriptors of what runs, e.g. `then:recordPayment`, `publish:PaymentRequested`. */
  readonly actions: readonly string[];
  /** Set when this outcome is the `catch` path for an error class. */
  readonly fault: ErrorClass | undefined;
}

const START: Outcome = { conditions: [], target: undefined, finalize: false, compensate: false, actions: [], fault: undefined };

/** All outcomes of a chain: the normal ones first, then the `catch` paths. */
export function outcomesOf(activities: readonly Activity[], start: Outcome = START): Outcome[] {
  const { normal, faults } = walk(activities, start);
  return [...normal, ...faults];
}

function walk(activities: readonly Activity[], start: Outcome): { normal: Outcome[]; faults: Outcome[] } {
  let paths: Outcome[] = [start];
  const faults: Outcome[] = [];
  for (const a of activities) {
    switch (a.type) {
      case 'saga.then':
        paths = paths.map((p) => ({ ...p, actions: [...p.actions, `then:${a.label}`] }));
        break;
      case 'saga.transition':
        paths = paths.map((p) => ({ ...p, target: a.target }));
        break;
      case 'saga.finalize':
        paths = paths.map((p) => ({ ...p, finalize: true, target: p.target ?? FINAL_STATE }));
        break;
      case 'saga.compensate':
        paths = paths.map((p) => ({ ...p, compensate: true, actions: [...p.actions, 'compensate'] }));
        break;
      case 'saga.publish':
      case 'saga.send': {
        const verb = a.type === 'saga.publish' ? 'publish' : 'send';
        paths = paths.map((p) => ({ ...p, actions: [...p.actions, `${verb}:${a.message.name}`] }));
        break;
      }
      case 'saga.if': {
        const next: Outcome[] = [];
        for (const p of paths) {
          for (const [branch, expect] of [[a.then, true], [a.else, false]] as const) {
            const cond: Condition = { test: a.condition, label: a.label, expect };
            const inner = walk(branch, { ...p, conditions: [...p.conditions, cond] });
            next.push(...inner.normal);
            faults.push(...inner.faults);
          }
        }
        paths = next;
        break;
      }
      case 'saga.catch':
        for (const p of paths) {
          const inner = walk(a.activities, { ...p, fault: a.errorType, actions: [...p.actions, `catch:${a.errorType.name}`] });
          faults.push(...inner.normal, ...inner.faults);
        }
        break;
    }
  }
  return { normal: paths, faults };
}
