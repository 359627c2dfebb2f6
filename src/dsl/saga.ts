/**
 * @module dsl/saga
 * `defineSaga` and the immutable saga builder. Each verb returns a new `Saga`; the definition is compiled
 * (validated, turned into a transition table and an XState machine) on first use, and the orchestrator
 * compiles every saga it is given in its constructor, so definition mistakes surface at start-up.
 */
import type { z } from 'zod';
import { DefinitionError } from '../errors/definition-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { EventDefinition, InputOf, MessageDefinition, PayloadOf } from '../messages/message-definition.ts';
import { FINAL_STATE, INITIAL_STATE, type BlockScope, type StateBlock } from './activities.ts';
import { Binder, settleAbandoned, type StateBinder } from './binder.ts';
import type { CompensationContext } from './context.ts';
import type { CompensationDefinition } from './compensation-definition.ts';
import type { CompiledSaga } from '../core/compiled-saga.ts';
import { compileSaga } from '../core/compile.ts';
import { toMachine, type SagaMachine } from '../core/to-machine.ts';
import { toMermaid } from '../core/to-mermaid.ts';
import type { RetryPolicy } from '../runtime/retry-policy.ts';
import { checkedRetry } from './retry-option.ts';
import { joinSpec, type JoinOptions, type JoinSpec } from './join.ts';
import type { SagaMigrations } from '../evolution/migration.ts';
import { checkStateMigrations, normalizeMigrations } from '../evolution/check-migrations.ts';

/** A saga of any name, data and states (what collections of sagas hold). */
// biome-ignore lint: variance escape hatch for heterogeneous saga lists
export type AnySaga = Saga<string, any, any>;

/** What happens to an event the saga cannot apply. */
export type Policy = 'ignore' | 'error';

export interface SagaOptions<Schema extends z.ZodType, States extends readonly string[]> {
  /** The instance data schema: validated when an instance is loaded and before every write. */
  readonly data: Schema;
  /** Every state the saga can be in, besides `Initial` (and `Final` when `finalize()` is used alone). */
  readonly states: States;
  /** The data a new instance starts with. Defaults to `data.parse({})`, which suits schemas with defaults. */
  readonly initialData?: z.input<Schema> | (() => z.input<Schema>);
  /**
   * How events find their instance unless `event(...)` says otherwise: `'envelope'` (default) uses the
   * envelope's correlation id; `'explicit'` requires a `correlateBy` for every event the saga handles.
   */
  readonly correlation?: 'envelope' | 'explicit';
  /** An event the current state does not handle. Default `'error'` (`UnhandledEventError`). */
  readonly unhandledEvent?: Policy;
  /** An event that cannot start an instance, for a correlation id with none. Default `'error'`. */
  readonly missingInstance?: Policy;
  /** Delete the instance (and its history) once it completes, instead of keeping it as `completed`. */
  readonly removeOnCompletion?: boolean;
  /**
   * The definition's version (default 1), stored with every instance it writes. Raise it when a change
   * affects instances in flight (a state, event, command or compensation step renamed or removed, the
   * data changed) and say how in `migrations`. See docs/evolution.md.
   */
  readonly version?: number;
  /**
   * `migrations[n]` turns an instance of version n into one of version n+1: states, events, commands,
   * compensation steps, data. Applied when an instance is loaded (or by `sagaflow instances migrate`),
   * in order; one is needed for every earlier version (`{}` when nothing changed).
   */
  readonly migrations?: SagaMigrations<States[number] | (string & {})>;
  /**
   * `upgrade[n]` turns version-n data into version n+1: the same as `migrations[n].data`, kept as a
   * shorthand (give one of the two per version).
   */
  readonly upgrade?: Readonly<Record<number, (data: unknown) => unknown>>;
  /** Retries for a failing action, for every event of this saga. Default: the orchestrator's. */
  readonly retry?: RetryPolicy;
  /** Retries for a failing compensation step before the instance is parked. Default: the orchestrator's. */
  readonly compensationRetry?: RetryPolicy;
}

export interface EventOptions<Payload> {
  /** Finds the instance's correlation id in the event. Default: the envelope's correlation id. */
  readonly correlateBy?: (payload: Payload, envelope: Envelope<Payload>) => string;
  /** Overrides the saga's `missingInstance` policy for this event. */
  readonly missingInstance?: Policy;
  /** Overrides the saga's `unhandledEvent` policy for this event. */
  readonly unhandled?: Policy;
  /** Overrides the saga's retry policy for this event's actions. */
  readonly retry?: RetryPolicy;
}

export type CompensationHandler<Args, Data> = (args: Args, ctx: CompensationContext<Data>) => void | PromiseLike<void>;

export interface CompensationSpec {
  readonly name: string;
  readonly schema: z.ZodType;
  readonly handler: CompensationHandler<unknown, unknown>;
}

/** An event the runtime schedules by itself: a state's timeout, or the saga's deadline. */
export interface TimedEvent {
  /** Milliseconds after entering the state (timeout) or creating the instance (deadline). */
  readonly afterMs: number;
  readonly message: MessageDefinition;
  /** The event's payload, from the instance data at the time it is scheduled. */
  readonly payload: (data: unknown) => unknown;
}

export interface TimedEventOptions<Data, M extends MessageDefinition> {
  /** Milliseconds. */
  readonly after: number;
  readonly event: M;
  /** Default `{}`: the event's schema must accept it then. */
  readonly payload?: (data: Readonly<Data>) => InputOf<M>;
}

export interface EventSpec {
  readonly message: MessageDefinition;
  readonly options: EventOptions<unknown>;
}

/** The plain data a saga definition consists of; what the compiler reads. */
export interface SagaDefinition {
  readonly name: string;
  readonly dataSchema: z.ZodType;
  readonly states: readonly string[];
  readonly initialData: () => unknown;
  readonly correlation: 'envelope' | 'explicit';
  readonly unhandledEvent: Policy;
  readonly missingInstance: Policy;
  readonly removeOnCompletion: boolean;
  /** The definition version (option `version`; it was once the data version, hence the name). */
  readonly dataVersion: number;
  readonly upgrade: Readonly<Record<number, (data: unknown) => unknown>>;
  /** `migrations[n]`: version n to n+1, with `upgrade[n]` folded in as `data`; one for every earlier version. */
  readonly migrations: SagaMigrations;
  readonly retry: RetryPolicy | undefined;
  readonly compensationRetry: RetryPolicy | undefined;
  readonly blocks: readonly StateBlock[];
  readonly events: ReadonlyMap<string, EventSpec>;
  readonly compensations: ReadonlyMap<string, CompensationSpec>;
  /** state → the event that fires if the instance is still in that state `afterMs` after entering it. */
  readonly timeouts: ReadonlyMap<string, TimedEvent>;
  /** The event that fires `afterMs` after an instance is created, unless it finished first. */
  readonly deadline: TimedEvent | undefined;
  /** composite event type → the join that raises it (`join()`). */
  readonly joins: ReadonlyMap<string, JoinSpec>;
}

type BlockBuilder<Data, States extends string> = (s: StateBinder<Data, States>) => StateBinder<Data, States>;

/**
 * A saga: a name, a data schema, states and the handlers that move between them.
 * Immutable: every method returns a new saga.
 */
export class Saga<Name extends string = string, Data = unknown, States extends string = string> {
  readonly name: Name;
  readonly definition: SagaDefinition;
  #compiled: CompiledSaga | undefined;
  #machine: SagaMachine | undefined;

  /** @internal use `defineSaga` */
  constructor(definition: SagaDefinition) {
    this.name = definition.name as Name;
    this.definition = Object.freeze(definition);
  }

  #with(patch: Partial<SagaDefinition>): Saga<Name, Data, States> {
    return new Saga({ ...this.definition, ...patch });
  }

  #block(scope: BlockScope, where: string, build: unknown): Saga<Name, Data, States> {
    if (typeof build !== 'function') {
      throw new DefinitionError({ saga: this.name, state: where }, 'expected a function that builds the handlers, e.g. s => s.when(...)');
    }
    const declared = new Set(this.definition.states);
    const result: unknown = build(Binder.block(this.name, where, declared));
    if (!(result instanceof Binder)) {
      throw new DefinitionError(
        { saga: this.name, state: where },
        'the block function must return the binder it built (e.g. s => s.when(...).transitionTo(...))' +
          (settleAbandoned(result) ? '; do not make it async' : ''),
      );
    }
    return this.#with({ blocks: [...this.definition.blocks, { scope, handlers: result.handlers() }] });
  }

  /** Handlers for events that arrive before an instance exists; they create it. */
  initially(build: BlockBuilder<Data, States>): Saga<Name, Data, States> {
    return this.#block({ kind: 'initially' }, INITIAL_STATE, build);
  }

  /**
   * Handlers for one or several states.
   *
   * @example
   * saga.during('AwaitingPayment', 'AwaitingInventory', (s) => s.when(OrderCancelled).compensate().transitionTo('Cancelled'))
   */
  during(
    ...args: [
      ...states: [States | typeof FINAL_STATE, ...(States | typeof FINAL_STATE)[]],
      build: BlockBuilder<Data, States>,
    ]
  ): Saga<Name, Data, States> {
    const build = args[args.length - 1];
    const states = args.slice(0, -1) as string[];
    const where = states.join(', ') || '(none)';
    if (states.length === 0) throw new DefinitionError({ saga: this.name }, 'during() needs at least one state');
    for (const state of states) {
      if (state === INITIAL_STATE) throw new DefinitionError({ saga: this.name, state }, `use initially() for the '${INITIAL_STATE}' state`);
      if (state !== FINAL_STATE && !this.definition.states.includes(state)) {
        throw new DefinitionError(
          { saga: this.name, state },
          `during() names a state that is not declared; declared states: ${this.definition.states.join(', ')}`,
        );
      }
    }
    return this.#block({ kind: 'during', states }, where, build);
  }

  /** Handlers that apply in every state except `Initial` and final states (a state's own handlers come first). */
  duringAny(build: BlockBuilder<Data, States>): Saga<Name, Data, States> {
    return this.#block({ kind: 'duringAny' }, '(any)', build);
  }

  /** How one event finds its instance, and its own policies. */
  event<M extends MessageDefinition>(message: M, options: EventOptions<PayloadOf<M>>): Saga<Name, Data, States> {
    if (!message || typeof message.name !== 'string') {
      throw new DefinitionError({ saga: this.name }, 'event() needs a message made with defineEvent()');
    }
    const events = new Map(this.definition.events);
    events.set(message.name, { message, options: options as EventOptions<unknown> });
    return this.#with({ events });
  }

  /**
   * A timeout for `state`: if an instance is still in it `after` ms after entering it, `event` arrives
   * and is handled like any other (handle it in `during(state, ...)`). Leaving the state cancels it;
   * a cancelled timeout never fires.
   *
   * @example
   * saga.timeout('AwaitingPayment', { after: 15 * 60_000, event: PaymentTimedOut, payload: (d) => ({ orderId: d.orderId }) })
   */
  timeout<M extends EventDefinition>(state: States, options: TimedEventOptions<Data, M>): Saga<Name, Data, States> {
    const where = { saga: this.name, state };
    if (typeof state !== 'string' || !this.definition.states.includes(state)) {
      throw new DefinitionError(where, `timeout(): no such state; declared states: ${this.definition.states.join(', ')}`);
    }
    const timeouts = new Map(this.definition.timeouts);
    timeouts.set(state, timedEvent(options as never, where, 'timeout'));
    return this.#with({ timeouts });
  }

  /**
   * A deadline for the whole saga: `event` arrives `after` ms after the instance was created, unless it
   * finished first. Handle it where it can arrive (`duringAny`, say), e.g. compensate and finalize.
   */
  deadline<M extends EventDefinition>(options: TimedEventOptions<Data, M>): Saga<Name, Data, States> {
    return this.#with({ deadline: timedEvent(options as never, { saga: this.name }, 'deadline') });
  }

  /**
   * A join: `composite` arrives once every event of `events` has arrived, in any order. Progress is kept
   * on the instance (it survives restarts); handle the composite like any other event. See
   * docs/coordination.md.
   *
   * @example
   * saga
   *   .join(ReadyToShip, [PaymentCaptured, StockReserved])
   *   .during('Preparing', (s) => s.when(PaymentCaptured).then(record).when(StockReserved).then(record).when(ReadyToShip).transitionTo('Shipping'))
   */
  join<M extends EventDefinition>(
    composite: M,
    events: readonly MessageDefinition[],
    options?: JoinOptions<Data, States, M>,
  ): Saga<Name, Data, States> {
    const spec = joinSpec({ saga: this.name }, this.definition.states, this.definition.joins, composite, events, options as never);
    const joins = new Map(this.definition.joins);
    joins.set(spec.composite.name, spec);
    return this.#with({ joins });
  }

  /**
   * Declares how to undo a step. Steps register it by name with arguments (`ctx.compensation.add`);
   * when compensation runs, handlers run last-registered first.
   */
  compensation<C extends CompensationDefinition>(
    compensation: C,
    handler: CompensationHandler<z.output<C['schema']>, Data>,
  ): Saga<Name, Data, States>;
  compensation<S extends z.ZodType>(
    name: string,
    schema: S,
    handler: CompensationHandler<z.output<S>, Data>,
  ): Saga<Name, Data, States>;
  compensation(a: CompensationDefinition | string, b: unknown, c?: unknown): Saga<Name, Data, States> {
    const [name, schema, handler] =
      typeof a === 'string' ? [a, b as z.ZodType, c] : [a?.name, a?.schema, b];
    if (typeof name !== 'string' || !schema || typeof handler !== 'function') {
      throw new DefinitionError(
        { saga: this.name },
        'compensation() takes (definition, handler) or (name, schema, handler)',
      );
    }
    if (this.definition.compensations.has(name)) {
      throw new DefinitionError({ saga: this.name }, `compensation '${name}' is declared twice`);
    }
    const compensations = new Map(this.definition.compensations);
    compensations.set(name, { name, schema, handler: handler as CompensationHandler<unknown, unknown> });
    return this.#with({ compensations });
  }

  /** The validated, compiled form the runtime uses. Throws `DefinitionError` on the first mistake. */
  get compiled(): CompiledSaga {
    this.#compiled ??= compileSaga(this.definition);
    return this.#compiled;
  }

  /** The saga as a real XState v5 machine (context `{ data }`, events `{ type, payload }`). */
  get machine(): SagaMachine {
    this.#machine ??= toMachine(this.compiled);
    return this.#machine;
  }

  /** Checks the whole definition now (the orchestrator does this when it starts). */
  validate(): this {
    void this.compiled;
    return this;
  }

  /** A Mermaid `stateDiagram-v2` of the saga. */
  toMermaid(): string {
    return toMermaid(this.compiled);
  }
}

/**
 * Starts a saga definition.
 *
 * @example
 * const OrderSaga = defineSaga('order', { data: OrderData, states: ['AwaitingPayment', 'Completed'] })
 *   .initially((s) => s.when(OrderCreated).then((ctx) => { ctx.data.orderId = ctx.event.orderId; }).transitionTo('AwaitingPayment'))
 *   .during('AwaitingPayment', (s) => s.when(PaymentProcessed).transitionTo('Completed').finalize());
 */
export function defineSaga<const Name extends string, Schema extends z.ZodType, const States extends readonly string[]>(
  name: Name,
  options: SagaOptions<Schema, States>,
): Saga<Name, z.output<Schema>, States[number]> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('defineSaga() needs a non-empty name');
  const where = { saga: name };
  if (!options?.data || typeof (options.data as z.ZodType).safeParse !== 'function') {
    throw new DefinitionError(where, 'options.data must be a zod schema');
  }
  const states = options.states ?? [];
  const seen = new Set<string>();
  for (const state of states) {
    if (typeof state !== 'string' || state.length === 0) throw new DefinitionError(where, 'state names must be non-empty strings');
    if (state === INITIAL_STATE || state === FINAL_STATE) {
      throw new DefinitionError({ saga: name, state }, `'${state}' is reserved and must not be declared`);
    }
    if (seen.has(state)) throw new DefinitionError({ saga: name, state }, 'declared twice');
    seen.add(state);
  }
  const dataVersion = options.version ?? 1;
  if (!Number.isInteger(dataVersion) || dataVersion < 1) throw new DefinitionError(where, 'version must be an integer >= 1');
  const upgrade = options.upgrade ?? {};
  const migrations = normalizeMigrations(where, dataVersion, options.migrations as SagaMigrations | undefined, options.upgrade);
  checkStateMigrations(where, dataVersion, migrations, states);
  const initial = options.initialData;
  const rawInitial =
    typeof initial === 'function' ? (initial as () => unknown) : initial === undefined ? () => ({}) : () => structuredClone(initial);
  const probe = options.data.safeParse(rawInitial());
  // A new instance starts from the parsed value, so schema defaults are filled in (and every instance gets its own copy).
  const initialData = () => options.data.parse(rawInitial());
  if (!probe.success) {
    throw new DefinitionError(
      where,
      `the initial data does not match the data schema (${probe.error.issues[0]?.message ?? 'invalid'}): ` +
        'give initialData, or defaults in the schema',
    );
  }
  return new Saga({
    name,
    dataSchema: options.data,
    states,
    initialData,
    correlation: options.correlation ?? 'envelope',
    unhandledEvent: options.unhandledEvent ?? 'error',
    missingInstance: options.missingInstance ?? 'error',
    removeOnCompletion: options.removeOnCompletion ?? false,
    dataVersion,
    upgrade,
    migrations,
    retry: checkedRetry(options.retry, where, 'retry'),
    compensationRetry: checkedRetry(options.compensationRetry, where, 'compensationRetry'),
    blocks: [],
    events: new Map(),
    compensations: new Map(),
    timeouts: new Map(),
    deadline: undefined,
    joins: new Map(),
  });
}


function timedEvent(
  options: TimedEventOptions<unknown, MessageDefinition>,
  where: ConstructorParameters<typeof DefinitionError>[0],
  verb: string,
): TimedEvent {
  const { after, event, payload } = options ?? ({} as TimedEventOptions<unknown, MessageDefinition>);
  if (!event || typeof event.name !== 'string' || !('schema' in event)) {
    throw new DefinitionError(where, `${verb}() needs { after, event } with an event made with defineEvent()`);
  }
  if (typeof after !== 'number' || !Number.isFinite(after) || after <= 0) {
    throw new DefinitionError({ ...where, event: event.name }, `${verb}(): after must be a positive number of ms, got ${String(after)}`);
  }
  if (payload !== undefined && typeof payload !== 'function') {
    throw new DefinitionError({ ...where, event: event.name }, `${verb}(): payload must be a function of the instance data`);
  }
  return { afterMs: after, message: event, payload: (payload as ((data: unknown) => unknown) | undefined) ?? (() => ({})) };
}
