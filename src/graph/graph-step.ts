/**
 * @module graph/graph-step
 * One step of a dependency graph: the command that does it, the steps it waits for, how its input is
 * made from the graph's input and its dependencies' results, its own retries and time limit, and how
 * to undo it.
 */
import type { z } from 'zod';
import type { CommandDefinition, InputOf } from '../messages/message-definition.ts';
import type { RetryPolicy } from '../runtime/retry-policy.ts';

/** What a step's `input` function sees: the graph's input and the results of the steps it depends on. */
export interface StepInputContext<Input, Results> {
  readonly input: Input;
  readonly results: Results;
}

/** What undoing a step sees: the graph's input, this step's own result, and every result so far. */
export interface StepUndoContext<Input, Output, Results> {
  readonly input: Input;
  readonly output: Output;
  readonly results: Partial<Results>;
}

export type StepCompensation<Input, Output, Results> =
  /** Runs in the saga's compensation run (durable, LIFO, exactly once). */
  | ((ctx: StepUndoContext<Input, Output, Results>) => void | PromiseLike<void>)
  /** Sends a compensating command. */
  | { readonly command: CommandDefinition; readonly input: (ctx: StepUndoContext<Input, Output, Results>) => unknown };

export interface StepOptions<C extends CommandDefinition, Input, Results, Deps extends keyof Results> {
  readonly command: C;
  /** Steps that must have completed first; their results are in `ctx.results`. Default: none (starts at once). */
  readonly dependsOn?: readonly Deps[];
  readonly input: (ctx: StepInputContext<Input, Pick<Results, Deps>>) => InputOf<C>;
  /** Retries of this step after a failure or timeout (a number is `maxRetries`). Default: none. */
  readonly retry?: RetryPolicy | number;
  /** How long one attempt may take before it counts as timed out. Default 5 minutes. */
  readonly timeoutMs?: number;
  /** The command's worker group, instead of its definition's `target`. */
  readonly target?: string;
  readonly compensate?: StepCompensation<Input, z.output<C['output']>, Results>;
}

/** A step as the compiler reads it, its types erased. */
export interface StepSpec {
  readonly name: string;
  readonly command: CommandDefinition;
  readonly dependsOn: readonly string[];
  readonly input: (ctx: StepInputContext<unknown, Record<string, unknown>>) => unknown;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly target: string | undefined;
  readonly compensate: StepCompensation<unknown, unknown, Record<string, unknown>> | undefined;
}

export const DEFAULT_STEP_TIMEOUT_MS = 5 * 60_000;
