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

interface Walk {
  readonly normal: Outcome[];
  readonly faults: Outcome[];
  /** Where an error can be thrown that no `catch` of this chain has seen yet: the path as it was then. */
  readonly throwPoints: Outcome[];
}

function walk(activities: readonly Activity[], start: Outcome): Walk {
  let paths: Outcome[] = [start];
  const faults: Outcome[] = [];
  let throwPoints: Outcome[] = [];
  for (const a of activities) {
    switch (a.type) {
      case 'saga.then':
        throwPoints.push(...paths);
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
        // The payload function and the message's schema can throw.
        throwPoints.push(...paths);
        const verb = a.type === 'saga.publish' ? 'publish' : 'send';
        paths = paths.map((p) => ({ ...p, actions: [...p.actions, `${verb}:${a.message.name}`] }));
        break;
      }
      case 'saga.if': {
        throwPoints.push(...paths); // the condition itself
        const next: Outcome[] = [];
        for (const p of paths) {
          for (const [branch, expect] of [[a.then, true], [a.else, false]] as const) {
            const cond: Condition = { test: a.condition, label: a.label, expect };
            const inner = walk(branch, { ...p, conditions: [...p.conditions, cond] });
            next.push(...inner.normal);
            faults.push(...inner.faults);
            throwPoints.push(...inner.throwPoints);
          }
        }
        paths = next;
        break;
      }
      case 'saga.catch': {
        // The instance keeps what was decided before the throwing activity: the activities between it
        // and this catch are skipped.
        for (const origin of throwPoints) {
          const inner = walk(a.activities, { ...origin, fault: a.errorType, actions: [...origin.actions, `catch:${a.errorType.name}`] });
          faults.push(...inner.normal, ...inner.faults);
        }
        // Consecutive catches guard the same activities; a catch further on guards only what follows it
        // (an error reaching it from before was offered to this one first, and may match either).
        const next = activities[activities.indexOf(a) + 1];
        if (next?.type !== 'saga.catch') throwPoints = [];
        break;
      }
    }
  }
  return { normal: paths, faults, throwPoints };
}
