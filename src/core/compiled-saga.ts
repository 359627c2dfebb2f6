/**
 * @module core/compiled-saga
 * The compiled form of a saga: a validated transition table that the runtime looks handlers up in with
 * two map reads, plus the edge list the XState machine and diagrams are built from. Both come from the
 * same definition in one pass (`compile.ts`), and a test checks that they agree.
 */
import type { Envelope } from '../messages/envelope.ts';
import type { MessageDefinition } from '../messages/message-definition.ts';
import type { Activity, HandlerSpec } from '../dsl/activities.ts';
import type { CompensationSpec, Policy, SagaDefinition } from '../dsl/saga.ts';
import type { Edge } from './edges.ts';
import type { RetryPolicy } from '../runtime/retry-policy.ts';
import type { CompiledJoin } from './compile-joins.ts';

export interface CompiledHandler extends HandlerSpec {
  /** `state/event#n`, stable for a definition: names the handler in errors and diagrams. */
  readonly id: string;
  readonly activities: readonly Activity[];
}

export interface CompiledEvent {
  readonly message: MessageDefinition;
  /** The instance's correlation id for this event, or `undefined` when it has none. */
  readonly correlate: (payload: unknown, envelope: Envelope) => string | undefined;
  readonly missingInstance: Policy;
  readonly unhandled: Policy;
  /** The event's own retry policy, else the saga's; `undefined` means the orchestrator's default. */
  readonly retry: RetryPolicy | undefined;
  /** Handled in `initially()`: may create an instance. */
  readonly startsInstance: boolean;
}

export interface CompiledSaga {
  readonly name: string;
  readonly definition: SagaDefinition;
  /** `Initial`, the declared states, and `Final` when used. */
  readonly states: readonly string[];
  readonly finalStates: ReadonlySet<string>;
  /** state → event type → handlers in the order they are tried (the state's own first, then `duringAny`). */
  readonly table: ReadonlyMap<string, ReadonlyMap<string, readonly CompiledHandler[]>>;
  readonly events: ReadonlyMap<string, CompiledEvent>;
  readonly compensations: ReadonlyMap<string, CompensationSpec>;
  /** Every transition the definition can take, for the machine, diagrams and reachability. */
  readonly edges: readonly Edge[];
  /** constituent event type → the joins it counts toward (`saga.join()`); empty for most sagas. */
  readonly joins: ReadonlyMap<string, readonly CompiledJoin[]>;
}
