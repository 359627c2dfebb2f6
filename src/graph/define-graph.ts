/**
 * @module graph/define-graph
 * Dependency graphs (the go-orchestrator seed's DAG of steps): declare steps with the steps they depend
 * on; independent steps run concurrently, each waits for its dependencies, results flow to dependants,
 * and a failure stops what depends on it and compensates what finished, in reverse order. The builder
 * adds one step at a time and a step may only depend on steps declared before it, so every graph is
 * acyclic by construction and `ctx.results` is typed. It compiles to an ordinary saga (`graph.saga`).
 */
import type { z } from 'zod';
import { DefinitionError } from '../errors/definition-error.ts';
import { defineEvent, type CommandDefinition, type EventDefinition } from '../messages/message-definition.ts';
import type { Saga } from '../dsl/saga.ts';
import { checkedRetry } from '../dsl/retry-option.ts';
import { NO_RETRY } from '../runtime/retry-policy.ts';
import { compileGraph, type GraphState } from './compile-graph.ts';
import type { GraphProgress } from './graph-progress.ts';
import { DEFAULT_STEP_TIMEOUT_MS, type StepOptions, type StepSpec } from './graph-step.ts';

/**
 * A graph under construction; immutable, like a saga. Start an instance by publishing `graph.start`
 * with the graph's input and a correlation id; register `graph.saga` with an orchestrator.
 */
export class Graph<Name extends string, InputSchema extends z.ZodType, Results extends Record<string, unknown> = {}> {
  readonly name: Name;
  /** The event that starts a run; its payload is the graph's input. */
  readonly start: EventDefinition<`${Name}.Start`, InputSchema>;
  readonly steps: readonly StepSpec[];
  #saga: Saga<Name, GraphProgress, GraphState> | undefined;

  /** @internal use `defineGraph` */
  constructor(name: Name, start: EventDefinition<`${Name}.Start`, InputSchema>, steps: readonly StepSpec[]) {
    this.name = name;
    this.start = start;
    this.steps = Object.freeze(steps);
  }

  /**
   * Adds a step. `dependsOn` names earlier steps; `input` builds the command's input from the graph's
   * input and those steps' results.
   */
  step<K extends string, C extends CommandDefinition, Deps extends keyof Results & string = never>(
    name: K,
    options: StepOptions<C, z.output<InputSchema>, Results, Deps>,
  ): Graph<Name, InputSchema, Results & { readonly [P in K]: z.output<C['output']> }> {
    const where = { saga: this.name, event: name };
    if (typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name)) {
      throw new DefinitionError(where, 'a step name must be letters, digits, _ or -');
    }
    if (this.steps.some((s) => s.name === name)) throw new DefinitionError(where, `step '${name}' is declared twice`);
    const command = options?.command;
    if (command?.kind !== 'command' || !('completed' in command)) {
      throw new DefinitionError(where, `step '${name}' needs a command made with defineCommand()`);
    }
    if (typeof options.input !== 'function') throw new DefinitionError(where, `step '${name}' needs an input function`);
    const dependsOn = [...new Set((options.dependsOn ?? []) as readonly string[])];
    for (const dep of dependsOn) {
      if (!this.steps.some((s) => s.name === dep)) {
        throw new DefinitionError(where, `step '${name}' depends on '${dep}', which is not declared before it`);
      }
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      throw new DefinitionError(where, `step '${name}': timeoutMs must be a positive number of ms`);
    }
    const retryOption = typeof options.retry === 'number' ? { maxRetries: options.retry } : options.retry;
    const spec: StepSpec = {
      name,
      command,
      dependsOn,
      input: options.input as StepSpec['input'],
      retry: checkedRetry(retryOption, where, 'retry') ?? NO_RETRY,
      timeoutMs,
      target: options.target,
      compensate: options.compensate as StepSpec['compensate'],
    };
    return new Graph(this.name, this.start, [...this.steps, spec]);
  }

  /** The saga this graph compiles to (built once): register it with an orchestrator. */
  get saga(): Saga<Name, GraphProgress, GraphState> {
    if (this.steps.length === 0) throw new DefinitionError({ saga: this.name }, 'a graph needs at least one step');
    this.#saga ??= compileGraph(this.name, this.start, this.steps).saga as Saga<Name, GraphProgress, GraphState>;
    return this.#saga;
  }
}

/**
 * @example
 * const Fulfil = defineGraph('fulfil', { input: z.object({ orderId: z.string(), amount: z.number() }) })
 *   .step('reserve', { command: ReserveStock, input: ({ input }) => ({ orderId: input.orderId }),
 *                      compensate: { command: ReleaseStock, input: ({ output }) => ({ reservationId: output.reservationId }) } })
 *   .step('charge', { command: ChargeCard, retry: 2, input: ({ input }) => ({ amount: input.amount }) })
 *   .step('ship', { command: ShipOrder, dependsOn: ['reserve', 'charge'],
 *                   input: ({ results }) => ({ reservationId: results.reserve.reservationId }) });
 * const orchestrator = new SagaOrchestrator({ sagas: [Fulfil.saga] });
 * await orchestrator.publish(Fulfil.start, { orderId: 'o-1', amount: 10 }, { correlationId: 'o-1' });
 */
export function defineGraph<const Name extends string, InputSchema extends z.ZodType>(
  name: Name,
  options: { readonly input: InputSchema },
): Graph<Name, InputSchema> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('defineGraph() needs a non-empty name');
  if (!options?.input || typeof options.input.safeParse !== 'function') {
    throw new DefinitionError({ saga: name }, 'defineGraph(): options.input must be a zod schema');
  }
  return new Graph(name, defineEvent(`${name}.Start` as const, options.input), []);
}
