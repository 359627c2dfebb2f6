/**
 * @module commands/command-processor
 * Runs commands with their handlers. A received command is claimed in the store (so one process runs
 * it), its handler runs its attempts, and its outcome is recorded together with the outcome event and
 * any follow-up commands in one write; then those messages are delivered. A redelivered command whose
 * outcome is recorded never runs again; one whose process died is taken over once its lease ran out,
 * by a redelivery or by `recover()`, and resumes at its next attempt.
 *
 * Its own writes (the claim, lease renewals, the outcome) are retried through a database outage until
 * they land or the process stops (`durably`), and its heartbeat keeps the lease until the outcome is
 * written: a command is taken over only when its process is really gone, never because a write failed.
 */
import type { Clock } from '../clock/clock.ts';
import { systemClock } from '../clock/clock.ts';
import { ValidationError, VALIDATION_ERROR } from '../errors/validation-error.ts';
import { createEnvelope, type Envelope } from '../messages/envelope.ts';
import type { CommandDefinition } from '../messages/message-definition.ts';
import type { CommandClaim, CommandRecord, SagaRepository } from '../repository/types.ts';
import type { OutboxDelivery } from '../runtime/outbox-delivery.ts';
import { NO_RETRY, retryPolicyProblem } from '../runtime/retry-policy.ts';
import { SCHEDULE_SAGA_HEADER } from '../runtime/schedules.ts';
import { REQUEST_HEADER } from '../runtime/requests.ts';
import type { CommandHandler, FollowUp, HandleOptions, Registration } from './command-handler.ts';
import { commandHeaders, TARGET_HEADER } from './headers.ts';
import { runAttempts, type AttemptsOutcome } from './run-attempts.ts';
import { durably } from '../runtime/durable-write.ts';
import type { StoreOutage } from '../runtime/store-outage.ts';
import { TransientStoreError } from '../errors/transient-store-error.ts';

/** What processing one command did. */
export type CommandRunResult =
  | { readonly result: 'completed' | 'failed' | 'cancelled' | 'timed_out'; readonly commandId: string; readonly attempts: number }
  /** Its outcome was recorded before: nothing ran. */
  | { readonly result: 'duplicate'; readonly commandId: string }
  /** Another process is running it under a lease. */
  | { readonly result: 'busy'; readonly commandId: string }
  /** For another worker group. */
  | { readonly result: 'not-for-this-group'; readonly commandId: string; readonly target: string };

export const DEFAULT_COMMAND_LEASE_MS = 30_000;

export interface CommandProcessorOptions {
  readonly repository: SagaRepository;
  /** Delivers outcome events and follow-up commands after their write (the orchestrator's, or your own). */
  readonly outbox: OutboxDelivery;
  readonly clock?: Clock;
  /** This processor's worker group: it runs commands targeted at it and untargeted ones. */
  readonly group?: string;
  /** How long a run may go without renewing before another process takes it over. Default 30 s. */
  readonly leaseMs?: number;
  /** Errors nobody else receives: a chain function that threw (its follow-ups are then not sent). */
  readonly onError?: (error: unknown) => void;
  /** Aborted when the process stops: writes retried through an outage give up then. */
  readonly signal?: AbortSignal;
  /** Told of writes failing and landing again (the orchestrator's, for health and its outage log). */
  readonly outage?: StoreOutage;
}

/**
 * @example
 * const processor = new CommandProcessor({ repository, outbox });
 * processor.handle(ChargeCard, async (input, ctx) => ({ transactionId: await psp.charge(input, ctx.commandId) }));
 */
export class CommandProcessor {
  readonly #handlers = new Map<string, Registration>();
  readonly #repository: SagaRepository;
  readonly #outbox: OutboxDelivery;
  readonly #clock: Clock;
  readonly #group: string | undefined;
  readonly #leaseMs: number;
  readonly #running = new Map<string, AbortController>();
  /** Commands this process owns, from its claim until their outcome is written: `recover()` leaves them alone. */
  readonly #owned = new Set<string>();
  readonly #onError: (error: unknown) => void;
  readonly #durable: { readonly signal?: AbortSignal; readonly outage?: StoreOutage };

  constructor(options: CommandProcessorOptions) {
    this.#repository = options.repository;
    this.#outbox = options.outbox;
    this.#clock = options.clock ?? systemClock;
    this.#group = options.group;
    this.#leaseMs = options.leaseMs ?? DEFAULT_COMMAND_LEASE_MS;
    this.#onError = options.onError ?? ((error) => console.error('[sagaflow]', error));
    this.#durable = { ...(options.signal && { signal: options.signal }), ...(options.outage && { outage: options.outage }) };
  }

  /** Registers the handler of `command`; its options override the command's own timeout and retries. */
  handle<C extends CommandDefinition>(command: C, handler: CommandHandler<C>, options: HandleOptions<C> = {}): this {
    if (command?.kind !== 'command' || typeof command.name !== 'string' || !('policy' in command)) {
      throw new TypeError('handle() needs a command made with defineCommand()');
    }
    if (typeof handler !== 'function') throw new TypeError(`handle(${command.name}): the handler must be a function`);
    if (this.#handlers.has(command.name)) throw new TypeError(`'${command.name}' already has a handler here`);
    const retryOption = options.retry ?? command.policy.retry;
    const retry = typeof retryOption === 'number' ? { maxRetries: retryOption } : (retryOption ?? NO_RETRY);
    const problem = retryPolicyProblem(retry);
    if (problem) throw new RangeError(`handle(${command.name}): ${problem}`);
    const timeoutMs = options.timeoutMs ?? command.policy.timeoutMs;
    if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new RangeError(`handle(${command.name}): timeoutMs must be positive`);
    this.#handlers.set(command.name, {
      command,
      handler: handler as Registration['handler'],
      timeoutMs,
      retry,
      chain: (options.then ?? {}) as Registration['chain'],
    });
    return this;
  }

  handles(type: string): boolean {
    return this.#handlers.has(type);
  }

  get commandTypes(): readonly string[] {
    return [...this.#handlers.keys()];
  }

  /** Runs one received command (see the module note). Throws only what may pass: the store being down. */
  async process(envelope: Envelope): Promise<CommandRunResult> {
    const reg = this.#handlers.get(envelope.type);
    if (reg === undefined) throw new TypeError(`no handler for '${envelope.type}' here`);
    const commandId = envelope.messageId;
    const target = envelope.headers[TARGET_HEADER];
    if (target !== undefined && target !== this.#group) return { result: 'not-for-this-group', commandId, target };
    // A redelivery of a command this process runs (its outbox row delivered again): nothing to ask.
    if (this.#owned.has(commandId)) return { result: 'busy', commandId };
    const now = this.#clock.now();
    const request = { envelope, target: target ?? null, now: new Date(now), leaseUntil: new Date(now + this.#leaseMs) };
    this.#owned.add(commandId);
    try {
      let retried = false;
      const claim = await durably(() => {
        const attempt = this.#repository.claimCommand(request);
        if (retried) return attempt.then((c) => ownClaim(c, request));
        retried = true;
        return attempt;
      }, this.#durable);
      if (claim.status === 'finished') return { result: 'duplicate', commandId };
      if (claim.status === 'busy') return { result: 'busy', commandId };
      return await this.#run(reg, claim.command, claim.command.attempts);
    } finally {
      this.#owned.delete(commandId);
    }
  }

  /**
   * Takes over commands whose process died mid-run (lease expired) and runs their next attempt.
   * Returns how many it took over.
   */
  async recover(limit = 100): Promise<number> {
    const now = this.#clock.now();
    if (this.#handlers.size === 0) return 0;
    const expired = await this.#repository.claimExpiredCommands({
      now: new Date(now),
      leaseUntil: new Date(now + this.#leaseMs),
      limit,
      types: this.commandTypes,
      group: this.#group ?? null,
    });
    // One this process still owns (its lease ran out during an outage, its outcome not yet written) is
    // alive: the claim just renewed its lease, and it is not taken over by its own process.
    const taken = expired.filter((c) => !this.#owned.has(c.id));
    await Promise.all(
      taken.map(async (c) => {
        const next = c.attempts + 1;
        this.#owned.add(c.id);
        try {
          if (await durably(() => this.#renew(c.id, next), this.#durable)) await this.#run(this.#handlers.get(c.commandType)!, c, next);
        } finally {
          this.#owned.delete(c.id);
        }
      }),
    );
    return taken.length;
  }

  /** Aborts a command running in this process: its outcome becomes `cancelled`. False when none runs here. */
  cancel(commandId: string, reason = 'cancelled'): boolean {
    const running = this.#running.get(commandId);
    running?.abort(reason);
    return running !== undefined;
  }

  async #run(reg: Registration, command: CommandRecord, attempt: number): Promise<CommandRunResult> {
    const envelope = command.envelope;
    let outcome: AttemptsOutcome | undefined;
    let input: unknown;
    try {
      input = reg.command.parse(envelope.payload);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // Retrying cannot help a command its own schema refuses: the sender learns at once.
      outcome = { status: 'failed', attempts: attempt, error: { code: VALIDATION_ERROR, message: error.message } };
    }
    if (outcome === undefined && attempt > 1 + reg.retry.maxRetries) {
      outcome = {
        status: 'failed',
        attempts: attempt - 1,
        error: { code: 'SAGA_COMMAND_ABANDONED', message: `the process running attempt ${attempt - 1} of '${reg.command.name}' stopped` },
      };
    }
    let current = attempt;
    // The lease is kept from the first attempt until the outcome is written (through an outage too), so
    // recovery elsewhere does not take over a command that is alive. A renewal that fails is tried at
    // the next beat.
    const heartbeat = setInterval(() => void this.#renew(command.id, current).catch((error: unknown) => this.#quiet(error)), Math.max(1, this.#leaseMs / 3));
    heartbeat.unref?.();
    // A process that stops (close()) gives its commands up: their leases run out and another takes over.
    const stop = () => clearInterval(heartbeat);
    this.#durable.signal?.addEventListener('abort', stop, { once: true });
    try {
      if (outcome === undefined) {
        const controller = new AbortController();
        this.#running.set(command.id, controller);
        try {
          outcome = await runAttempts(reg, input, envelope, attempt, {
            cancelled: controller.signal,
            nextAttempt: (n) => ((current = n), durably(() => this.#renew(command.id, n), this.#durable)),
          });
        } finally {
          this.#running.delete(command.id);
        }
        if (outcome === undefined) return { result: 'duplicate', commandId: command.id };
      }
      const messages = this.#messagesFor(reg, envelope, input, outcome);
      const staged = this.#outbox.stage(messages);
      const finish = {
        id: command.id,
        status: outcome.status,
        attempts: outcome.attempts,
        output: outcome.status === 'completed' ? outcome.output : undefined,
        error: outcome.status === 'failed' ? outcome.error : null,
        at: new Date(this.#clock.now()),
        outbox: staged ?? [],
      };
      // The outcome the handler returned is written, however long the store is away. Sent again after a
      // failure that hid whether it applied, it answers false if it had: its messages are then in the
      // outbox with it, and the relay delivers them.
      const finished = await durably(() => this.#repository.finishCommand(finish), this.#durable);
      if (!finished) return { result: 'duplicate', commandId: command.id };
      if (messages.length) this.#outbox.deliver(messages, staged);
      return { result: outcome.status, commandId: command.id, attempts: outcome.attempts };
    } finally {
      clearInterval(heartbeat);
      this.#durable.signal?.removeEventListener('abort', stop);
    }
  }

  /** A failure of a background write: an outage is reported once (by `outage`), anything else to `onError`. */
  #quiet(error: unknown): void {
    if (error instanceof TransientStoreError && this.#durable.outage) this.#durable.outage.failed(error);
    else if (!(error instanceof TransientStoreError)) this.#onError(error);
  }

  /** A chain function's follow-ups; one that throws is reported and sends none. */
  #chained(name: string, build: () => FollowUp | readonly FollowUp[] | undefined): FollowUp | readonly FollowUp[] | undefined {
    try {
      return build();
    } catch (error) {
      this.#onError(new TypeError(`'${name}': a chained follow-up threw: ${String(error)}`, { cause: error }));
      return undefined;
    }
  }

  #renew(id: string, attempts: number): Promise<boolean> {
    const now = this.#clock.now();
    return this.#repository.renewCommand(id, { attempts, leaseUntil: new Date(now + this.#leaseMs), now: new Date(now) });
  }

  /** The outcome event and the chained follow-up commands. */
  #messagesFor(reg: Registration, command: Envelope, input: unknown, outcome: AttemptsOutcome): Envelope[] {
    const { command: def, chain } = reg;
    const commandId = command.messageId;
    const at = new Date(this.#clock.now());
    // A reply to a saga's request goes to that saga only, as its scheduled messages do.
    const replyTo = command.headers[SCHEDULE_SAGA_HEADER];
    const request = command.headers[REQUEST_HEADER];
    const options = {
      correlationId: command.correlationId,
      causationId: commandId,
      ...(replyTo && { headers: { [SCHEDULE_SAGA_HEADER]: replyTo, ...(request && { [REQUEST_HEADER]: request }) } }),
    };
    const event = (name: string, payload: unknown) => createEnvelope('event', name, payload, options, at);
    let follow: FollowUp | readonly FollowUp[] | undefined;
    const out: Envelope[] = [];
    switch (outcome.status) {
      case 'completed':
        out.push(event(def.completed.name, { commandId, output: outcome.output }));
        follow = this.#chained(def.name, () => chain.completed?.(outcome.output, input));
        break;
      case 'failed':
        out.push(event(def.failed.name, { commandId, error: outcome.error, attempts: outcome.attempts }));
        if (outcome.error.code !== VALIDATION_ERROR) follow = this.#chained(def.name, () => chain.failed?.(outcome.error, input));
        break;
      case 'cancelled':
        out.push(event(def.cancelled.name, { commandId, reason: outcome.reason }));
        follow = this.#chained(def.name, () => chain.cancelled?.(outcome.reason, input));
        break;
      case 'timed_out':
        out.push(event(def.timedOut.name, { commandId, timeoutMs: outcome.timeoutMs, attempts: outcome.attempts }));
        follow = this.#chained(def.name, () => chain.failed?.({ code: 'SAGA_COMMAND_TIMEOUT', message: `timed out after ${outcome.timeoutMs} ms` }, input));
        break;
    }
    try {
      for (const f of follow === undefined ? [] : Array.isArray(follow) ? follow : [follow as FollowUp]) {
        const payload = f.command.parse(f.input);
        const headers = commandHeaders(f.command, undefined, undefined);
        out.push(createEnvelope('command', f.command.name, payload, { correlationId: command.correlationId, causationId: commandId, ...(headers && { headers }) }, at));
      }
    } catch (error) {
      // The outcome stands; a broken chain must not leave the command running, to be run again.
      this.#onError(new TypeError(`'${def.name}': a follow-up of its ${outcome.status} outcome could not be built: ${String(error)}`, { cause: error }));
      return out.slice(0, 1);
    }
    return out;
  }
}

/**
 * A claim sent again after a failure that hid whether it applied: if it had, the row is `running` and
 * still shows this request's write — inserted by it (created at its `now`, attempt 1), or taken over by
 * it (updated at its `now`, with its lease end) — and that is this caller's claim, not another
 * process's. (Its own `recover()` may have renewed the lease meanwhile, which changes neither
 * `createdAt` nor `attempts`.)
 */
function ownClaim(claim: CommandClaim, request: { readonly now: Date; readonly leaseUntil: Date }): CommandClaim {
  const c = claim.command;
  if (claim.status !== 'busy' || c.status !== 'running') return claim;
  const now = request.now.getTime();
  const inserted = c.createdAt.getTime() === now && c.attempts === 1;
  const tookOver = c.updatedAt.getTime() === now && c.leaseUntil?.getTime() === request.leaseUntil.getTime();
  return inserted || tookOver ? { status: 'claimed', command: c } : claim;
}
