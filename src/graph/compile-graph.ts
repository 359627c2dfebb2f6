/**
 * @module graph/compile-graph
 * Compiles a dependency graph onto the saga machinery, through the public DSL: one saga whose data is
 * the graph's progress. Each step is a request (its command, keyed `step:<name>`, with a durable
 * timeout), so its answer comes back to this instance and step only; a completed step registers its
 * compensation on the instance's LIFO stack and starts the steps that now have all their dependencies;
 * a failed step is retried by a schedule, or stops the graph: no new step starts, the running ones are
 * awaited (state `Stopping`), and then the finished steps are compensated in reverse order of finishing.
 * Every start, answer and retry is an event in the instance's history: the journal.
 */
import { z } from 'zod';
import { defineEvent, type EventDefinition } from '../messages/message-definition.ts';
import type { CommandDefinition } from '../messages/message-definition.ts';
import { defineSaga, type Saga } from '../dsl/saga.ts';
import type { ActionContext, CompensationContext } from '../dsl/context.ts';
import type { BranchBinder, EventBinder } from '../dsl/binder.ts';
import { REQUEST_HEADER } from '../runtime/requests.ts';
import { retryDelay } from '../runtime/retry-policy.ts';
import { SCHEDULE_KEY_HEADER } from '../runtime/schedules.ts';
import { allDone, readySteps, retryKey, stepKey, stepOfKey, stopped, without, type GraphProgress } from './graph-progress.ts';
import type { StepSpec } from './graph-step.ts';

export const GRAPH_STATES = ['Running', 'Stopping', 'Completed', 'Failed'] as const;
export type GraphState = (typeof GRAPH_STATES)[number];

const Progress = z.object({
  input: z.unknown().optional(),
  results: z.record(z.string(), z.unknown()).default({}),
  attempts: z.record(z.string(), z.number()).default({}),
  running: z.array(z.string()).default([]),
  done: z.array(z.string()).default([]),
  retrying: z.array(z.string()).default([]),
  failure: z.object({ step: z.string(), code: z.string(), message: z.string() }).optional(),
});

const UndoArgs = z.object({ output: z.unknown() });

type Ctx = ActionContext<GraphProgress, unknown>;
type Chain = EventBinder<GraphProgress, unknown, GraphState>;

export interface CompiledGraph {
  readonly saga: Saga<string, GraphProgress, GraphState>;
  readonly retryEvent: EventDefinition<string, z.ZodObject<{ step: z.ZodString }>>;
}

export function compileGraph(name: string, start: EventDefinition, steps: readonly StepSpec[]): CompiledGraph {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const RetryStep = defineEvent(`${name}.RetryStep`, z.object({ step: z.string() }));

  const send = (ctx: Ctx, step: StepSpec) => {
    const p = ctx.data;
    p.attempts[step.name] = (p.attempts[step.name] ?? 0) + 1;
    p.running.push(step.name);
    const input = step.input({ input: p.input, results: p.results });
    ctx.request(step.command, input as never, { timeoutMs: step.timeoutMs, key: stepKey(step.name), ...(step.target && { target: step.target }) });
  };
  const startReady = (ctx: Ctx) => {
    for (const step of readySteps(steps, ctx.data)) send(ctx, step);
  };
  const stepOf = (ctx: Ctx): StepSpec | undefined => {
    const headers = ctx.envelope.headers;
    return byName.get(stepOfKey(headers[REQUEST_HEADER] ?? headers[SCHEDULE_KEY_HEADER]) ?? '');
  };

  const completed = (ctx: Ctx) => {
    const step = stepOf(ctx);
    if (!step) return;
    const p = ctx.data;
    const output = (ctx.event as { output: unknown }).output;
    p.running = without(p.running, step.name);
    p.done.push(step.name);
    p.results[step.name] = output;
    if (step.compensate) ctx.compensation.add(undoOf(step), { output });
    startReady(ctx);
  };
  const failed = (ctx: Ctx) => {
    const step = stepOf(ctx);
    if (!step) return;
    const p = ctx.data;
    p.running = without(p.running, step.name);
    const event = ctx.event as { error?: { code: string; message: string }; reason?: string; timeoutMs?: number };
    const error = event.error ?? (event.reason !== undefined
      ? { code: 'SAGA_COMMAND_CANCELLED', message: event.reason }
      : { code: 'SAGA_COMMAND_TIMEOUT', message: `no answer within ${event.timeoutMs} ms` });
    const attempt = p.attempts[step.name] ?? 1;
    const delay = p.failure || event.reason !== undefined ? null : retryDelay(step.retry, attempt);
    if (delay !== null) {
      p.retrying.push(step.name);
      ctx.schedule(RetryStep, { step: step.name }, { delayMs: delay }, { key: retryKey(step.name) });
      return;
    }
    p.failure ??= { step: step.name, ...error };
    // No step starts after a failure: pending retries are cancelled too.
    for (const waiting of p.retrying) ctx.unschedule(retryKey(waiting));
    p.retrying = [];
  };
  const retry = (ctx: Ctx) => {
    const step = byName.get((ctx.event as { step: string }).step);
    if (!step || !ctx.data.retrying.includes(step.name)) return;
    ctx.data.retrying = without(ctx.data.retrying, step.name);
    send(ctx, step);
  };

  /** What every answer ends with: finished, compensating, stopping, or still running. */
  const settle = (chain: Chain) =>
    chain.ifElse(
      (ctx) => allDone(steps, ctx.data),
      (b) => b.transitionTo('Completed').finalize(),
      (b) =>
        b.ifElse(
          (ctx) => stopped(ctx.data),
          (bb) => bb.compensate().transitionTo('Failed').finalize(),
          (bb) => bb.if((ctx) => ctx.data.failure !== undefined, (bbb: BranchBinder<GraphProgress, unknown, GraphState>) => bbb.transitionTo('Stopping')),
        ),
    );

  const commands = [...new Map(steps.map((s) => [s.command.name, s.command])).values()];
  let saga = defineSaga(name, { data: Progress, states: GRAPH_STATES })
    .initially((s) =>
      s
        .when(start)
        .then((ctx) => {
          (ctx.data as GraphProgress).input = ctx.event;
          startReady(ctx as Ctx);
        })
        .transitionTo('Running'),
    )
    .during('Running', 'Stopping', (s) => {
      let chain = s as unknown as Chain;
      for (const c of commands as CommandDefinition[]) {
        chain = settle(chain.when(c.completed).then(completed)) as unknown as Chain;
        for (const outcome of [c.failed, c.timedOut, c.cancelled]) chain = settle(chain.when(outcome).then(failed)) as unknown as Chain;
      }
      return settle(chain.when(RetryStep).then(retry)) as never;
    }) as unknown as Saga<string, GraphProgress, GraphState>;
  for (const step of steps) {
    if (!step.compensate) continue;
    const undo = step.compensate;
    saga = saga.compensation(undoOf(step).name, UndoArgs, (args, ctx: CompensationContext<GraphProgress>) => {
      const view = { input: ctx.data.input, output: args.output, results: ctx.data.results };
      if (typeof undo === 'function') return undo(view);
      ctx.send(undo.command, undo.input(view) as never);
    });
  }
  return { saga, retryEvent: RetryStep };
}

function undoOf(step: StepSpec) {
  return { kind: 'compensation' as const, name: `undo:${step.name}`, schema: UndoArgs };
}
