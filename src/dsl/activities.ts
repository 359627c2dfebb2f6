/**
 * @module dsl/activities
 * A saga definition is data. Each DSL verb appends one tagged activity; the compiler walks activities to
 * build the XState machine, the transition table, the Mermaid diagram and the JSON description, and the
 * runtime interprets them. Nothing here runs anything.
 */
import type { MessageDefinition } from '../messages/message-definition.ts';
import type { ErrorClass } from './context.ts';

export type Awaitable<T> = T | PromiseLike<T>;

// Activities are stored without their precise generic types: the binder checked them when they were added.
// biome-ignore lint: any is deliberate for erased callback types
type AnyFn = (ctx: any) => any;

/** `then(action)`: run user code with the event payload and mutable instance data. */
export interface ThenActivity {
  readonly type: 'saga.then';
  readonly action: AnyFn;
  /** The function's name, for diagrams and errors. */
  readonly label: string;
}

/** `transitionTo(state)`: the state the instance is in once this event commits (the last one wins). */
export interface TransitionActivity {
  readonly type: 'saga.transition';
  readonly target: string;
}

/** `finalize()`: the instance completes. Without a preceding `transitionTo` it enters the `Final` state. */
export interface FinalizeActivity {
  readonly type: 'saga.finalize';
}

/** `compensate()`: after this event commits, unwind the compensation stack (LIFO). */
export interface CompensateActivity {
  readonly type: 'saga.compensate';
}

/** `publish(Event, payload)` / `send(Command, payload)`: a message that leaves only after the write commits. */
export interface OutgoingActivity {
  readonly type: 'saga.publish' | 'saga.send';
  readonly message: MessageDefinition;
  readonly payload: AnyFn;
}

/** `if(condition, ...)` / `ifElse(condition, ..., ...)`: a branch evaluated where it stands in the chain. */
export interface IfActivity {
  readonly type: 'saga.if';
  readonly condition: AnyFn;
  readonly label: string;
  readonly then: readonly Activity[];
  readonly else: readonly Activity[];
}

/** `catch(ErrorClass, ...)`: handles an error thrown by an earlier activity of the same chain. */
export interface CatchActivity {
  readonly type: 'saga.catch';
  readonly errorType: ErrorClass;
  readonly activities: readonly Activity[];
}

export type Activity =
  | ThenActivity
  | TransitionActivity
  | FinalizeActivity
  | CompensateActivity
  | OutgoingActivity
  | IfActivity
  | CatchActivity;

/** One `when(...)` (or `ignore(...)`) with its chain. */
export interface HandlerSpec {
  readonly message: MessageDefinition;
  readonly guard: AnyFn | undefined;
  readonly guardLabel: string | undefined;
  /** `ignore(...)`: the event is accepted and dropped, nothing is written. */
  readonly ignore: boolean;
  readonly activities: readonly Activity[];
}

/** Where a block of handlers applies. */
export type BlockScope =
  | { readonly kind: 'initially' }
  | { readonly kind: 'during'; readonly states: readonly string[] }
  | { readonly kind: 'duringAny' };

export interface StateBlock {
  readonly scope: BlockScope;
  readonly handlers: readonly HandlerSpec[];
}

/** Reserved state names. */
export const INITIAL_STATE = 'Initial';
export const FINAL_STATE = 'Final';
