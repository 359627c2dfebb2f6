/**
 * @module messages/command-outcomes
 * Every command comes with four outcome events, so a saga handles a command's result like any other
 * event: `when(ChargeCard.completed)`, `when(ChargeCard.failed)`, `when(ChargeCard.cancelled)`,
 * `when(ChargeCard.timedOut)`. Their names are the command's with a suffix (`ChargeCard.Completed`), and
 * each carries the command's message id, which is also how a saga's request recognises its own answer.
 */
import { z } from 'zod';
import type { EventDefinition, MessageDefinition } from './message-definition.ts';

const commandId = z.string().min(1);
const attempts = z.number().int().min(1);

export const FailureSchema = z.object({ code: z.string(), message: z.string() });

export type CompletedSchema<Output extends z.ZodType> = z.ZodObject<{ commandId: z.ZodString; output: Output }>;
export const FailedSchema = z.object({ commandId, error: FailureSchema, attempts });
export const CancelledSchema = z.object({ commandId, reason: z.string() });
/** `attempts` is 0 when a saga's request gave up waiting: no handler reported. */
export const TimedOutSchema = z.object({ commandId, timeoutMs: z.number().nonnegative(), attempts: z.number().int().min(0) });

/** The outcome events of a command named `Name` whose handler returns `Output`. */
export interface CommandOutcomes<Name extends string, Output extends z.ZodType> {
  /** The handler returned; `output` is what it returned, checked against the command's output schema. */
  readonly completed: EventDefinition<`${Name}.Completed`, CompletedSchema<Output>>;
  /** The handler threw on its last attempt (or the input was invalid: code `SAGA_VALIDATION`). */
  readonly failed: EventDefinition<`${Name}.Failed`, typeof FailedSchema>;
  /** The handler gave up on purpose (`ctx.cancel(reason)`), or the command was cancelled while running. */
  readonly cancelled: EventDefinition<`${Name}.Cancelled`, typeof CancelledSchema>;
  /** The last attempt ran out of time; or, for a saga's request, no outcome arrived in time. */
  readonly timedOut: EventDefinition<`${Name}.TimedOut`, typeof TimedOutSchema>;
}

export type OutcomeKind = 'completed' | 'failed' | 'cancelled' | 'timedOut';
export const OUTCOME_SUFFIX: Readonly<Record<OutcomeKind, string>> = Object.freeze({
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  timedOut: 'TimedOut',
});

export function commandOutcomes<Name extends string, Output extends z.ZodType>(
  name: Name,
  output: Output,
  defineEvent: <N extends string, S extends z.ZodType>(name: N, schema: S) => MessageDefinition<N, S, 'event'>,
): CommandOutcomes<Name, Output> {
  return Object.freeze({
    completed: defineEvent(`${name}.Completed` as const, z.object({ commandId: z.string(), output })),
    failed: defineEvent(`${name}.Failed` as const, FailedSchema),
    cancelled: defineEvent(`${name}.Cancelled` as const, CancelledSchema),
    timedOut: defineEvent(`${name}.TimedOut` as const, TimedOutSchema),
  }) as CommandOutcomes<Name, Output>;
}
