/**
 * @module dsl/binder
 * The fluent chain behind `initially`, `during` and `duringAny`. A binder is immutable: every verb returns
 * a new binder with one activity appended (MassTransit's EventActivityBinder), so a partially built chain
 * can be shared or branched without surprises.
 *
 * Note the `then` verb: it makes a binder "thenable". A binder must therefore never be awaited or returned
 * from an async function; `then` detects the promise machinery calling it and fails with a clear message.
 */
import { DefinitionError } from '../errors/definition-error.ts';
import type { MessageDefinition, PayloadOf, EventDefinition, CommandDefinition, InputOf } from '../messages/message-definition.ts';
import {
  FINAL_STATE,
  type Activity,
  type HandlerSpec,
} from './activities.ts';
import type {
  Action,
  ActionContext,
  CatchContext,
  ErrorClass,
  Guard,
  GuardContext,
  RequestOptions,
  ScheduleOptions,
  ScheduleTiming,
} from './context.ts';

type PayloadSource<Ctx, P> = P | ((ctx: Ctx) => P);

/** The verbs shared by an event's chain and by the inside of `if`/`catch` branches. */
export interface ChainVerbs<Data, Payload, States extends string, Ctx, Self, Finalized> {
  /** Runs an action (sync or async). Its changes to `ctx.data` are written when the event commits. */
  then(action: (ctx: Ctx) => void | PromiseLike<void>): Self;
  /** Moves the instance to `state` when the event commits. */
  transitionTo(state: States): Self;
  /** Completes the instance; no activity may follow. */
  finalize(): Finalized;
  /** Unwinds the compensation stack (LIFO) after the event commits. */
  compensate(): Self;
  /** Publishes an event after the event commits. */
  publish<M extends EventDefinition>(message: M, payload: PayloadSource<Ctx, InputOf<M>>): Self;
  /** Sends a command after the event commits. */
  send<M extends CommandDefinition>(message: M, payload: PayloadSource<Ctx, InputOf<M>>): Self;
  /**
   * Schedules `message` for this instance after the event commits (`ctx.schedule`); scheduling under a
   * key that is pending replaces it.
   */
  schedule<M extends EventDefinition>(
    message: M,
    payload: PayloadSource<Ctx, InputOf<M>>,
    when: ScheduleTiming | ((ctx: Ctx) => ScheduleTiming),
    options?: ScheduleOptions,
  ): Self;
  /** Cancels the pending schedule of `message` (or under `key`). */
  unschedule(key: EventDefinition | string): Self;
  /**
   * Sends `command` as a request (`ctx.request`): handle its answer with `when(command.completed)`,
   * `when(command.failed)`, `when(command.cancelled)`, and `when(command.timedOut)`, which also arrives
   * when no answer came within `timeoutMs`.
   */
  request<C extends CommandDefinition>(
    command: C,
    payload: PayloadSource<Ctx, InputOf<C>>,
    options: RequestOptions | ((ctx: Ctx) => RequestOptions),
  ): Self;
  /** Runs `build`'s chain when `condition` holds where the branch stands. */
  if(
    condition: (ctx: GuardContext<Data, Payload>) => boolean,
    build: (branch: BranchBinder<Data, Payload, States, Ctx>) => BranchBinder<Data, Payload, States, Ctx> | FinalizedBranch,
  ): Self;
  /** Runs one of two chains. */
  ifElse(
    condition: (ctx: GuardContext<Data, Payload>) => boolean,
    whenTrue: (branch: BranchBinder<Data, Payload, States, Ctx>) => BranchBinder<Data, Payload, States, Ctx> | FinalizedBranch,
    whenFalse: (branch: BranchBinder<Data, Payload, States, Ctx>) => BranchBinder<Data, Payload, States, Ctx> | FinalizedBranch,
  ): Self;
  /**
   * Handles an error of `errorType` thrown by an earlier activity of this chain: runs `build`'s chain
   * instead of the rest, and the event still commits.
   */
  catch<E extends Error>(
    errorType: ErrorClass<E>,
    build: (
      branch: BranchBinder<Data, Payload, States, CatchContext<Data, Payload, E>>,
    ) => BranchBinder<Data, Payload, States, CatchContext<Data, Payload, E>> | FinalizedBranch,
  ): Self;
}

/** Starts handlers inside a state block. */
export interface StateBinder<Data, States extends string> {
  /** Handles `message` in this block's states, when the optional guard holds. */
  when<M extends MessageDefinition>(
    message: M,
    guard?: Guard<Data, PayloadOf<M>>,
  ): EventBinder<Data, PayloadOf<M>, States>;
  /** Accepts `message` in this block's states and does nothing with it. */
  ignore<M extends MessageDefinition>(message: M, guard?: Guard<Data, PayloadOf<M>>): StateBinder<Data, States>;
}

export interface EventBinder<Data, Payload, States extends string>
  extends StateBinder<Data, States>,
    ChainVerbs<
      Data,
      Payload,
      States,
      ActionContext<Data, Payload>,
      EventBinder<Data, Payload, States>,
      StateBinder<Data, States>
    > {}

export interface BranchBinder<Data, Payload, States extends string, Ctx = ActionContext<Data, Payload>>
  extends ChainVerbs<Data, Payload, States, Ctx, BranchBinder<Data, Payload, States, Ctx>, FinalizedBranch> {}

/** A branch after `finalize()`: nothing can follow. */
export interface FinalizedBranch {
  readonly [finalizedBrand]: true;
}
declare const finalizedBrand: unique symbol;

interface BinderState {
  readonly saga: string;
  /** The states this block applies to, for error messages. */
  readonly where: string;
  readonly declaredStates: ReadonlySet<string>;
  /** Finished handlers of the block. */
  readonly handlers: readonly HandlerSpec[];
  /** The handler being built; `null` in a fresh state block. */
  readonly current: HandlerSpec | null;
  /** Branch binders only carry activities. */
  readonly branch: boolean;
  readonly finalized: boolean;
}

/**
 * An async builder returns a promise that will reject (the promise machinery calls the binder's `then`,
 * which refuses). The definition error is thrown synchronously instead; this keeps the abandoned promise
 * from surfacing later as an unhandled rejection. Returns whether `value` was such a promise.
 */
export function settleAbandoned(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || typeof (value as PromiseLike<unknown>).then !== 'function') return false;
  Promise.resolve(value as PromiseLike<unknown>).catch(() => {});
  return true;
}

function isTiming(value: unknown): value is ScheduleTiming {
  if (value === null || typeof value !== 'object') return false;
  const v = value as { delayMs?: unknown; at?: unknown };
  return (typeof v.delayMs === 'number' && v.delayMs >= 0) || v.at instanceof Date;
}

function labelOf(fn: unknown, fallback: string): string {
  return typeof fn === 'function' && fn.name ? fn.name : fallback;
}

/** The single implementation behind every binder interface. */
export class Binder {
  readonly #s: BinderState;

  constructor(state: BinderState) {
    this.#s = state;
  }

  /** A fresh block for `initially`, `during(...)` or `duringAny`. */
  static block(saga: string, where: string, declaredStates: ReadonlySet<string>): Binder {
    return new Binder({ saga, where, declaredStates, handlers: [], current: null, branch: false, finalized: false });
  }

  #fail(problem: string): never {
    throw new DefinitionError({ saga: this.#s.saga, state: this.#s.where, event: this.#s.current?.message.name }, problem);
  }

  #with(patch: Partial<BinderState>): Binder {
    return new Binder({ ...this.#s, ...patch });
  }

  #append(activity: Activity, verb: string): Binder {
    const current = this.#s.current;
    if (current === null) this.#fail(`${verb}() needs a when() before it`);
    if (current.ignore) this.#fail(`${verb}() cannot follow ignore()`);
    if (this.#s.finalized) this.#fail(`${verb}() after finalize(): finalize() must be the last activity`);
    return this.#with({ current: { ...current, activities: [...current.activities, activity] } });
  }

  #requireChain(verb: string): void {
    if (this.#s.current === null) this.#fail(`${verb}() needs a when() before it`);
    if (this.#s.finalized) this.#fail(`${verb}() after finalize(): finalize() must be the last activity`);
  }

  #branch(): Binder {
    return new Binder({
      ...this.#s,
      handlers: [],
      current: { ...(this.#s.current as HandlerSpec), activities: [] },
      branch: true,
      finalized: false,
    });
  }

  #buildBranch(build: unknown, verb: string): { activities: readonly Activity[]; finalized: boolean } {
    if (typeof build !== 'function') this.#fail(`${verb}() needs a function that builds the branch`);
    const result: unknown = build(this.#branch());
    if (!(result instanceof Binder)) {
      this.#fail(
        `the ${verb}() branch must return the chain it built (e.g. b => b.then(...).transitionTo(...))` +
          (settleAbandoned(result) ? '; do not make it async' : ''),
      );
    }
    return { activities: result.#s.current?.activities ?? [], finalized: result.#s.finalized };
  }

  /** The handlers this block defines; called by the saga builder when the block callback returns. */
  handlers(): readonly HandlerSpec[] {
    if (this.#s.branch) this.#fail('a branch is not a state block');
    return this.#s.current ? [...this.#s.handlers, this.#s.current] : this.#s.handlers;
  }

  when(message: MessageDefinition, guard?: (ctx: never) => boolean): Binder {
    return this.#start(message, guard, false, 'when');
  }

  ignore(message: MessageDefinition, guard?: (ctx: never) => boolean): Binder {
    return this.#start(message, guard, true, 'ignore');
  }

  #start(message: MessageDefinition, guard: unknown, ignore: boolean, verb: string): Binder {
    if (this.#s.branch) this.#fail(`${verb}() cannot be used inside a branch`);
    if (!message || typeof message !== 'object' || typeof message.name !== 'string' || !('schema' in message)) {
      this.#fail(`${verb}() needs an event made with defineEvent() or defineCommand()`);
    }
    if (guard !== undefined && typeof guard !== 'function') this.#fail(`${verb}(${message.name}): the guard must be a function`);
    const handlers = this.#s.current ? [...this.#s.handlers, this.#s.current] : this.#s.handlers;
    const next: HandlerSpec = {
      message,
      guard: guard as HandlerSpec['guard'],
      guardLabel: guard === undefined ? undefined : labelOf(guard, 'guard'),
      ignore,
      activities: [],
    };
    return new Binder({ ...this.#s, handlers, current: next, finalized: false });
  }

  then(action: unknown, ...rest: unknown[]): Binder {
    if (typeof action === 'function' && typeof rest[0] === 'function') {
      // Only the promise machinery calls then(resolve, reject).
      this.#fail('a saga binder was awaited or returned from an async function; binders are built synchronously');
    }
    if (typeof action !== 'function') this.#fail('then() needs a function');
    return this.#append({ type: 'saga.then', action: action as Action<unknown, unknown>, label: labelOf(action, 'action') }, 'then');
  }

  transitionTo(state: string): Binder {
    if (state === FINAL_STATE) this.#fail(`transitionTo('${FINAL_STATE}'): the '${FINAL_STATE}' state is entered with finalize()`);
    if (typeof state !== 'string' || !this.#s.declaredStates.has(state)) {
      this.#fail(
        `transitionTo('${String(state)}'): no such state; declared states: ${[...this.#s.declaredStates].join(', ')}`,
      );
    }
    return this.#append({ type: 'saga.transition', target: state }, 'transitionTo');
  }

  finalize(): Binder {
    return this.#append({ type: 'saga.finalize' }, 'finalize').#with({ finalized: true });
  }

  compensate(): Binder {
    return this.#append({ type: 'saga.compensate' }, 'compensate');
  }

  publish(message: EventDefinition, payload: unknown): Binder {
    return this.#outgoing('saga.publish', message, payload);
  }

  send(message: CommandDefinition, payload: unknown): Binder {
    return this.#outgoing('saga.send', message, payload);
  }

  #outgoing(type: 'saga.publish' | 'saga.send', message: MessageDefinition, payload: unknown): Binder {
    const verb = type === 'saga.publish' ? 'publish' : 'send';
    if (!message || typeof message.name !== 'string' || !('schema' in message)) {
      this.#fail(`${verb}() needs a message made with defineEvent() or defineCommand()`);
    }
    const source = typeof payload === 'function' ? (payload as (ctx: unknown) => unknown) : () => payload;
    return this.#append({ type, message, payload: source }, verb);
  }

  schedule(message: EventDefinition, payload: unknown, when: unknown, options?: ScheduleOptions): Binder {
    if (!message || typeof message.name !== 'string' || !('schema' in message)) {
      this.#fail('schedule() needs an event made with defineEvent()');
    }
    if (!isTiming(when) && typeof when !== 'function') this.#fail(`schedule(${message.name}): give { delayMs } or { at }, or a function of ctx returning one`);
    const payloadOf = typeof payload === 'function' ? (payload as (ctx: unknown) => unknown) : () => payload;
    const timingOf = typeof when === 'function' ? (when as (ctx: unknown) => ScheduleTiming) : () => when as ScheduleTiming;
    // An action like any other: schedules take effect when the event commits, like the rest of ctx.
    const action = (ctx: ActionContext<unknown, unknown>) =>
      ctx.schedule(message, payloadOf(ctx) as never, timingOf(ctx), options);
    return this.#append({ type: 'saga.then', action, label: `schedule ${message.name}` }, 'schedule');
  }

  request(command: CommandDefinition, payload: unknown, options: unknown): Binder {
    if (command?.kind !== 'command' || typeof command.name !== 'string' || !('timedOut' in command)) {
      this.#fail('request() needs a command made with defineCommand()');
    }
    if (typeof options !== 'function') {
      const timeoutMs = (options as RequestOptions | undefined)?.timeoutMs;
      if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))) {
        this.#fail(`request(${command.name}): give { timeoutMs } (a positive number of ms), or a function of ctx returning it`);
      }
    }
    const payloadOf = typeof payload === 'function' ? (payload as (ctx: unknown) => unknown) : () => payload;
    const optionsOf = typeof options === 'function' ? (options as (ctx: unknown) => RequestOptions) : () => options as RequestOptions;
    const action = (ctx: ActionContext<unknown, unknown>) => void ctx.request(command, payloadOf(ctx) as never, optionsOf(ctx));
    return this.#append({ type: 'saga.then', action, label: `request ${command.name}` }, 'request');
  }

  unschedule(key: EventDefinition | string): Binder {
    const name = typeof key === 'string' ? key : key?.name;
    if (typeof name !== 'string' || name.length === 0) this.#fail('unschedule() needs an event or a schedule key');
    const action = (ctx: ActionContext<unknown, unknown>) => ctx.unschedule(name);
    return this.#append({ type: 'saga.then', action, label: `unschedule ${name}` }, 'unschedule');
  }

  if(condition: unknown, build: unknown): Binder {
    this.#requireChain('if');
    if (typeof condition !== 'function') this.#fail('if() needs a condition function');
    const then = this.#buildBranch(build, 'if');
    return this.#append(
      {
        type: 'saga.if',
        condition: condition as (ctx: unknown) => boolean,
        label: labelOf(condition, 'condition'),
        then: then.activities,
        else: [],
      },
      'if',
    ).#with({ finalized: then.finalized });
  }

  ifElse(condition: unknown, whenTrue: unknown, whenFalse: unknown): Binder {
    this.#requireChain('ifElse');
    if (typeof condition !== 'function') this.#fail('ifElse() needs a condition function');
    const then = this.#buildBranch(whenTrue, 'ifElse');
    const otherwise = this.#buildBranch(whenFalse, 'ifElse');
    return this.#append(
      {
        type: 'saga.if',
        condition: condition as (ctx: unknown) => boolean,
        label: labelOf(condition, 'condition'),
        then: then.activities,
        else: otherwise.activities,
      },
      'ifElse',
      // finalize() must end every path it is on: a branch that finalizes ends the chain.
    ).#with({ finalized: then.finalized || otherwise.finalized });
  }

  catch(errorType: unknown, build: unknown): Binder {
    this.#requireChain('catch');
    if (typeof errorType !== 'function') this.#fail('catch() needs an error class, e.g. catch(PaymentDeclined, b => ...)');
    const current = this.#s.current;
    if (current && !current.activities.some((a) => a.type !== 'saga.catch')) {
      this.#fail('catch() must follow the activities it guards');
    }
    const { activities } = this.#buildBranch(build, 'catch');
    // A finalizing catch ends only the error path, which never continues past the catch anyway.
    return this.#append({ type: 'saga.catch', errorType: errorType as ErrorClass, activities }, 'catch');
  }
}
