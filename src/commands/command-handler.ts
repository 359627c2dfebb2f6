/**
 * @module commands/command-handler
 * What a command handler is given and may return, and how its registration can override the command's
 * own policy and chain follow-up commands onto its outcome.
 */
import type { z } from 'zod';
import type { Envelope } from '../messages/envelope.ts';
import type { CommandDefinition, InputOf } from '../messages/message-definition.ts';
import type { RetryPolicy } from '../runtime/retry-policy.ts';

export interface CommandContext {
  /** The command's message id: the same on every attempt and redelivery, so use it as an idempotency key. */
  readonly commandId: string;
  readonly correlationId: string | undefined;
  /** 1 on the first attempt; counts across processes when a crashed run is taken over. */
  readonly attempt: number;
  /** Aborted when the attempt times out or the command is cancelled: pass it to fetch, drivers, timers. */
  readonly signal: AbortSignal;
  readonly envelope: Envelope;
  /** Gives up on purpose: the outcome is `cancelled` and there is no retry. */
  cancel(reason: string): never;
}

export type CommandHandler<C extends CommandDefinition> = (
  input: z.output<C['schema']>,
  ctx: CommandContext,
) => z.input<C['output']> | PromiseLike<z.input<C['output']>>;

/** A command to send when another finished: its definition and its input. */
export interface FollowUp<C extends CommandDefinition = CommandDefinition> {
  readonly command: C;
  readonly input: InputOf<C>;
}

/** Pairs a command with its input, typed. */
export function followUp<C extends CommandDefinition>(command: C, input: InputOf<C>): FollowUp<C> {
  return { command, input };
}

type FollowUps = FollowUp | readonly FollowUp[] | undefined;

/**
 * Follow-up commands, sent in the same write that records the outcome, so they are sent exactly when
 * it is recorded (Orchestratum's `OnSuccess` / `OnFailure` / `OnCancel`).
 */
export interface CommandChain<C extends CommandDefinition> {
  readonly completed?: (output: z.output<C['output']>, input: z.output<C['schema']>) => FollowUps;
  readonly failed?: (error: { readonly code: string; readonly message: string }, input: z.output<C['schema']>) => FollowUps;
  readonly cancelled?: (reason: string, input: z.output<C['schema']>) => FollowUps;
}

export interface HandleOptions<C extends CommandDefinition> {
  /** Overrides the command's `timeoutMs` (per attempt). */
  readonly timeoutMs?: number;
  /** Overrides the command's retry policy; a number is `maxRetries`. */
  readonly retry?: RetryPolicy | number;
  readonly then?: CommandChain<C>;
}

/** One registration, with the policy it resolved to. */
export interface Registration {
  readonly command: CommandDefinition;
  readonly handler: (input: unknown, ctx: CommandContext) => unknown;
  readonly timeoutMs: number | undefined;
  readonly retry: RetryPolicy;
  readonly chain: CommandChain<CommandDefinition>;
}
