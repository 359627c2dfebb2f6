/**
 * @module graph/graph-progress
 * The pure bookkeeping of a graph run, kept in the instance data: which steps are running, done or
 * waiting to retry, their attempts and results, and the first failure. Every decision the compiled
 * saga makes is one of these functions, so it can be tested without running anything.
 */
import type { StepSpec } from './graph-step.ts';

export interface GraphProgress {
  input?: unknown;
  results: Record<string, unknown>;
  attempts: Record<string, number>;
  running: string[];
  done: string[];
  retrying: string[];
  failure?: { step: string; code: string; message: string } | undefined;
}

/** Steps whose dependencies are all done and that are neither started nor finished: they start now. */
export function readySteps(steps: readonly StepSpec[], p: GraphProgress): StepSpec[] {
  if (p.failure) return [];
  const done = new Set(p.done);
  const busy = new Set([...p.running, ...p.retrying, ...p.done]);
  return steps.filter((s) => !busy.has(s.name) && s.dependsOn.every((d) => done.has(d)));
}

export function allDone(steps: readonly StepSpec[], p: GraphProgress): boolean {
  return p.done.length === steps.length;
}

/** After a failure: once nothing runs any more, the finished steps are compensated. */
export function stopped(p: GraphProgress): boolean {
  return p.failure !== undefined && p.running.length === 0;
}

export function without(list: string[], item: string): string[] {
  return list.filter((x) => x !== item);
}

/** The key of a step's request (and of its timeout), and back. */
export const stepKey = (step: string) => `step:${step}`;
export const retryKey = (step: string) => `retry:${step}`;
export function stepOfKey(key: string | undefined): string | undefined {
  return key?.startsWith('step:') ? key.slice(5) : undefined;
}
