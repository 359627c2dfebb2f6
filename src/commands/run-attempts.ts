/**
 * @module commands/run-attempts
 * Runs a handler's attempts: each under the command's time limit, retried with backoff after a failure
 * or a timeout, never after a cancellation. Decides the outcome; records nothing (the processor does).
 */
import { findUnstorable, pathOf, storableText } from '../core/storable.ts';
import { VALUE_UNSTORABLE } from '../errors/unstorable-value-error.ts';
import { CommandCancelledError } from '../errors/command-cancelled-error.ts';
import { CommandTimeoutError } from '../errors/command-timeout-error.ts';
import { VALIDATION_ERROR } from '../errors/validation-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import { retryDelay, sleep } from '../runtime/retry-policy.ts';
import type { CommandContext, Registration } from './command-handler.ts';

export type AttemptsOutcome =
  | { readonly status: 'completed'; readonly attempts: number; readonly output: unknown }
  | { readonly status: 'failed'; readonly attempts: number; readonly error: { code: string; message: string } }
  | { readonly status: 'cancelled'; readonly attempts: number; readonly reason: string }
  | { readonly status: 'timed_out'; readonly attempts: number; readonly timeoutMs: number };

export interface AttemptHooks {
  /** Before attempt `n` > first: records it; false means another process finished the command: stop. */
  readonly nextAttempt: (n: number) => Promise<boolean>;
  /** Aborts the running attempt from outside (`CommandProcessor.cancel`). */
  readonly cancelled: AbortSignal;
}

/** `undefined` when `nextAttempt` said to stop. */
export async function runAttempts(
  reg: Registration,
  input: unknown,
  envelope: Envelope,
  firstAttempt: number,
  hooks: AttemptHooks,
): Promise<AttemptsOutcome | undefined> {
  const maxAttempts = 1 + reg.retry.maxRetries;
  for (let attempt = firstAttempt; ; attempt++) {
    const result = await runOnce(reg, input, envelope, attempt, hooks.cancelled);
    if (result.status === 'completed' || result.status === 'cancelled') return { ...result, attempts: attempt };
    // A result that breaks the output schema is a bug in the handler; running it again would repeat it.
    if (result.status === 'failed' && result.error.code === VALIDATION_ERROR) return { ...result, attempts: attempt };
    const delay = attempt >= maxAttempts ? null : retryDelay(reg.retry, attempt);
    if (delay === null) return { ...result, attempts: attempt };
    await sleep(delay);
    if (!(await hooks.nextAttempt(attempt + 1))) return undefined;
  }
}

type Once =
  | { status: 'completed'; output: unknown }
  | { status: 'failed'; error: { code: string; message: string } }
  | { status: 'cancelled'; reason: string }
  | { status: 'timed_out'; timeoutMs: number };

async function runOnce(reg: Registration, input: unknown, envelope: Envelope, attempt: number, cancelled: AbortSignal): Promise<Once> {
  const controller = new AbortController();
  const abort = () => controller.abort(new CommandCancelledError(String(cancelled.reason ?? 'cancelled')));
  if (cancelled.aborted) abort();
  cancelled.addEventListener('abort', abort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ctx: CommandContext = {
    commandId: envelope.messageId,
    correlationId: envelope.correlationId,
    attempt,
    signal: controller.signal,
    envelope,
    cancel(reason: string): never {
      throw new CommandCancelledError(reason);
    },
  };
  try {
    const stopped = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      if (reg.timeoutMs !== undefined) {
        timer = setTimeout(() => controller.abort(new CommandTimeoutError(reg.command.name, reg.timeoutMs!)), reg.timeoutMs);
      }
    });
    stopped.catch(() => {}); // settled by the race below, or never
    const returned = await Promise.race([Promise.resolve().then(() => reg.handler(input, ctx)), stopped]);
    // A result the command's output schema refuses is the handler's failure, found here, not by the saga.
    const checked = reg.command.output.safeParse(returned);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      return { status: 'failed', error: { code: VALIDATION_ERROR, message: `the handler's result does not match ${reg.command.name}'s output schema${where}: ${issue?.message ?? 'invalid'}` } };
    }
    // An output no store can hold would fail the write of the outcome, on every retry: the handler failed.
    const unstorable = findUnstorable(checked.data);
    if (unstorable !== undefined) {
      return { status: 'failed', error: { code: VALUE_UNSTORABLE, message: `the handler's result cannot be stored at ${pathOf('output', unstorable.segments)}: ${unstorable.problem}` } };
    }
    return { status: 'completed', output: checked.data };
  } catch (error) {
    if (error instanceof CommandCancelledError) return { status: 'cancelled', reason: storableText(error.reason) };
    if (error instanceof CommandTimeoutError) return { status: 'timed_out', timeoutMs: error.timeoutMs };
    return { status: 'failed', error: describe(error) };
  } finally {
    clearTimeout(timer);
    cancelled.removeEventListener('abort', abort);
  }
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: storableText(typeof code === 'string' ? code : error.name || 'Error'), message: storableText(error.message) };
  }
  return { code: 'Error', message: storableText(String(error)) };
}
