/**
 * @module runtime/orchestrator
 * The SagaOrchestrator routes correlated messages to saga instances. For each saga that handles a
 * message type it validates the payload, finds the instance by correlation, applies the event through
 * the saga's compiled transition table and commits the result in one conditional write, retrying on
 * version conflicts. Messages that actions produce leave through the bus only after that write commits.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock/clock.ts';
import { systemClock } from '../clock/clock.ts';
import { InProcessBus } from '../bus/in-process-bus.ts';
import type { MessageBus } from '../bus/message-bus.ts';
import type { CompiledEvent, CompiledSaga } from '../core/compiled-saga.ts';
import type { AnySaga, Saga } from '../dsl/saga.ts';
import { ConcurrencyError } from '../errors/concurrency-error.ts';
import { EnvelopeError } from '../errors/envelope-error.ts';
import { RetriesExhaustedError } from '../errors/retries-exhausted-error.ts';
import { SagaflowError } from '../errors/sagaflow-error.ts';
import { UnknownEventError } from '../errors/unknown-event-error.ts';
import { createEnvelope, type Envelope, type EnvelopeOptions } from '../messages/envelope.ts';
import type { InputOf, MessageDefinition } from '../messages/message-definition.ts';
import { InMemorySagaRepository } from '../repository/in-memory-saga-repository.ts';
import { SagaStatus, type SagaInstanceRecord, type SagaRepository } from '../repository/types.ts';
import { applyEvent, StaleReadSignal } from './apply-event.ts';
import { resumeCompensation, type CompensationRun } from './compensation-runner.ts';
import { migrateInstance, needsMigration } from '../evolution/migrate-instance.ts';
import { writeMigration } from './migrate-on-load.ts';
import { checkSagas, summarize, type CheckReport } from '../evolution/check-report.ts';
import { StrandedInstancesError } from '../errors/stranded-instances-error.ts';
import { commandAliases, eventAliases, renamedEnvelope } from '../evolution/aliases.ts';
import { hydrateData } from './hydrate.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { ContendedInstances } from './contended.ts';
import { ObserverSet, type SagaObserver } from './observers.ts';
import type { DispatchResult, SagaOutcome } from './outcome.ts';
import {
  conflictBackoff,
  DEFAULT_CONFLICT_RETRY,
  NO_RETRY,
  retryDelay,
  retryPolicyProblem,
  sleep,
  type ConflictRetryPolicy,
  type RetryPolicy,
} from './retry-policy.ts';
import type { RuntimeDeps } from './runtime-deps.ts';
import { ActionError } from '../errors/action-error.ts';
import { TransientStoreError } from '../errors/transient-store-error.ts';
import { PayloadTooLargeError } from '../errors/payload-too-large-error.ts';
import { payloadBytes, readIncoming } from '../messages/incoming.ts';
import { OutboxDelivery, type OutboxOptions } from './outbox-delivery.ts';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.ts';
import { DeadLetters } from './dead-letters.ts';
import { checkEnvelope } from '../repository/check-storable.ts';
import { SCHEDULE_SAGA_HEADER } from './schedules.ts';
import { deadLetterReason } from './dead-letter-reason.ts';
import type { DeadLetter } from '../repository/types.ts';
import { Instrumentation } from '../telemetry/instrumentation.ts';
import type { TelemetryOptions } from '../telemetry/telemetry-options.ts';
import { toLogger, type AnyLogger } from '../telemetry/pino.ts';
import type { Incoming } from '../messages/incoming.ts';
import { CommandProcessor } from '../commands/command-processor.ts';
import { durably, type DurableWriteOptions } from './durable-write.ts';
import { StoreOutage } from './store-outage.ts';
import type { CommandHandler, HandleOptions } from '../commands/command-handler.ts';
import type { CommandDefinition } from '../messages/message-definition.ts';

export const NOT_COMPENSATING = 'SAGA_NOT_COMPENSATING';

export interface SagaOrchestratorOptions {
  readonly sagas: readonly AnySaga[];
  /** Default: a new `InMemorySagaRepository`. */
  readonly repository?: SagaRepository;
  /**
   * Where outgoing messages go and where the orchestrator subscribes to the types its sagas handle.
   * Default: a new `InProcessBus`.
   */
  readonly bus?: MessageBus;
  /** Subscribe to `bus` for every handled type (default true). */
  readonly subscribe?: boolean;
  readonly clock?: Clock;
  readonly observers?: readonly SagaObserver[];
  /** Retries after a version conflict. */
  readonly conflictRetry?: Partial<ConflictRetryPolicy>;
  /** A message type no saga handles: `'error'` (default, `UnknownEventError`) or `'ignore'`. */
  readonly unknownEvent?: 'ignore' | 'error';
  /** Errors nobody else can receive: failing observers, failed deliveries of outgoing messages. */
  readonly onError?: (error: unknown) => void;
  /**
   * Retries for a failing action, for sagas and events that set none. Default: none (`NO_RETRY`),
   * since an action may have effects; version conflicts are retried regardless (`conflictRetry`).
   */
  readonly retry?: RetryPolicy;
  /** Retries for a failing compensation step, for sagas that set none. Default: none. */
  readonly compensationRetry?: RetryPolicy;
  /**
   * The transactional outbox (default on): outgoing messages commit with the instance and are marked
   * sent once the bus accepted them. `false` publishes after the commit and stores nothing.
   */
  readonly outbox?: OutboxOptions | false;
  /** The relay `start()` runs for messages a crash left in the outbox. `false`: none in this process. */
  readonly relay?: Omit<OutboxRelayOptions, 'repository' | 'bus' | 'clock'> | false;
  /**
   * How long a compensation run may go without a write (a step running) before `recover()` in another
   * process takes it over. Default 30 s: set it above your slowest compensation step.
   */
  readonly compensationLeaseMs?: number;
  /**
   * The largest payload (bytes of its JSON) `publish()` and `dispatch()` accept (larger ones throw
   * `PayloadTooLargeError`) and `receive()` handles (larger ones become dead letters, reason
   * `payload-too-large`, kept truncated to this size). Default 256 KiB.
   */
  readonly maxPayloadBytes?: number;
  /** For command handlers registered with `handle()`: this process's worker group, and the run lease. */
  readonly commands?: { readonly group?: string; readonly leaseMs?: number };
  /**
   * OpenTelemetry spans and metrics (docs/operations.md). Default: the globally registered SDK, a no-op
   * when there is none; providers to use those instead; `false` for none.
   */
  readonly telemetry?: TelemetryOptions | false;
  /**
   * Where dead letters (warn), exhausted retries (warn), compensation failures (error), retries (debug)
   * and errors nobody else receives (error, instead of `console.error`) are logged: a pino logger or a
   * Sagaflow `Logger`. Default: none.
   */
  readonly logger?: AnyLogger;
  /**
   * What `start()` does about live instances the definitions could not run (the check of `sagaflow
   * check`, docs/evolution.md): `'warn'` (default) logs them (the logger, else `console.warn`) and starts;
   * `'refuse'` throws `StrandedInstancesError` and starts nothing; `'off'` skips the scan (one paged read
   * of every live instance).
   */
  readonly startupCheck?: 'warn' | 'refuse' | 'off';
}

/** What `receive` did with a message. */
export type ReceiveResult =
  | { readonly status: 'handled'; readonly result: DispatchResult }
  | { readonly status: 'dead-lettered'; readonly deadLetter: DeadLetter };

export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
/** Tries of one message against an unreachable store before its `TransientStoreError` is thrown. */
const UNREACHABLE_ATTEMPTS = 3;
/** Between them: up to 25 ms, then 50 ms (full jitter). */
const UNREACHABLE_BACKOFF: ConflictRetryPolicy = Object.freeze({ maxAttempts: UNREACHABLE_ATTEMPTS, baseDelayMs: 25, maxDelayMs: 50 });
export const DEFAULT_COMPENSATION_LEASE_MS = 30_000;

interface Route {
  readonly saga: CompiledSaga;
  readonly event: CompiledEvent;
  /** Set for a route under an event's old name (a migration renamed it): the name it has now. */
  readonly renamedTo?: string;
}

/**
 * @example
 * const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga] });
 * await orchestrator.publish(OrderCreated, { orderId: 'o-1', total: 42 }, { correlationId: 'o-1' });
 * const order = await orchestrator.find(OrderSaga, 'o-1');
 */
export class SagaOrchestrator {
  readonly repository: SagaRepository;
  readonly bus: MessageBus;
  readonly clock: Clock;
  readonly #sagas = new Map<string, CompiledSaga>();
  readonly #routes = new Map<string, Route[]>();
  readonly #mutex = new KeyedMutex();
  readonly #retry: ConflictRetryPolicy;
  /** Whether the repository can hold an instance for a retry (`lockInstance`). */
  readonly #locks: boolean;
  readonly #contended = new ContendedInstances();
  readonly #unknownEvent: 'ignore' | 'error';
  readonly #deps: RuntimeDeps;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #onError: (error: unknown) => void;
  readonly #actionRetry: RetryPolicy;
  readonly #outbox: OutboxDelivery;
  readonly #maxPayloadBytes: number;
  readonly #telemetry: Instrumentation;
  readonly #logsDeadLetters: boolean;
  /** The relay `start()` runs; `undefined` when the outbox or the relay is off. */
  readonly relay: OutboxRelay | undefined;
  /** Dead-lettered messages: list, inspect, replay, discard. */
  readonly deadLetters: DeadLetters;
  /** Command handlers registered with `handle()`; created with the first one. */
  #commands: CommandProcessor | undefined;
  readonly #subscribes: boolean;
  readonly #commandOptions: { readonly group?: string; readonly leaseMs?: number };
  #closed = false;
  readonly #checkMode: 'warn' | 'refuse' | 'off';
  readonly #logger: ReturnType<typeof toLogger>;
  /** What the start-up check found (`startupCheck`); undefined before `start()` or when it is off. */
  startupReport: CheckReport | undefined;
  readonly #compensationLeaseMs: number;
  #recovery: ReturnType<typeof setInterval> | undefined;
  #recovering: Promise<unknown> | undefined;
  /** Aborted by `close()`: writes retried through an outage give up then. */
  readonly #stopping = new AbortController();
  readonly #outage: StoreOutage;
  readonly #durable: DurableWriteOptions;

  constructor(options: SagaOrchestratorOptions) {
    this.repository = options.repository ?? new InMemorySagaRepository();
    this.bus = options.bus ?? new InProcessBus();
    this.clock = options.clock ?? systemClock;
    this.#retry = { ...DEFAULT_CONFLICT_RETRY, ...options.conflictRetry };
    this.#locks = typeof this.repository.lockInstance === 'function';
    this.#unknownEvent = options.unknownEvent ?? 'error';
    const logger = toLogger(options.logger);
    this.#logger = logger;
    this.#checkMode = options.startupCheck ?? 'warn';
    if (!['warn', 'refuse', 'off'].includes(this.#checkMode)) throw new RangeError(`SagaOrchestrator option startupCheck: expected 'warn', 'refuse' or 'off'`);
    this.#logsDeadLetters = logger !== undefined;
    const knownType = (type: string) => this.#routes.has(type);
    this.#telemetry = new Instrumentation(options.telemetry, { bus: this.bus, repository: this.repository, logger, knownType });
    const telemetry = this.#telemetry;
    this.#onError = options.onError ?? (logger ? (error) => telemetry.error(error) : (error) => console.error('[sagaflow]', error));
    // One line when the store becomes unreachable and one when it is back, however many writes failed.
    this.#outage = new StoreOutage(
      logger
        ? {
            down: (error) => logger.log('warn', { msg: 'store unavailable', reason: error.reason, error }),
            up: (downMs) => logger.log('info', { msg: 'store available again', downMs }),
          }
        : {
            down: (error) => console.warn('[sagaflow] store unavailable:', error.message),
            up: (downMs) => console.warn(`[sagaflow] store available again after ${downMs} ms`),
          },
      () => this.clock.now(),
    );
    // Every write waiting out an outage listens for the stop: many at once is normal, not a leak.
    setMaxListeners(0, this.#stopping.signal);
    this.#durable = { signal: this.#stopping.signal, outage: this.#outage };

    for (const saga of options.sagas) {
      const compiled = saga.compiled; // throws DefinitionError for a broken definition, at start-up
      if (this.#sagas.has(compiled.name)) throw new TypeError(`two sagas are named '${compiled.name}'`);
      this.#sagas.set(compiled.name, compiled);
      for (const [type, event] of compiled.events) this.#addRoute(type, { saga: compiled, event });
      // Messages sent under an event's old name (in the outbox, in queues) still reach the saga.
      for (const [old, now] of eventAliases(compiled)) this.#addRoute(old, { saga: compiled, event: compiled.events.get(now)!, renamedTo: now });
    }

    this.#actionRetry = checkedPolicy(options.retry, 'retry') ?? NO_RETRY;
    this.#maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.#compensationLeaseMs = options.compensationLeaseMs ?? DEFAULT_COMPENSATION_LEASE_MS;
    const bus = this.bus;
    this.#outbox = new OutboxDelivery({
      bus,
      repository: this.repository,
      clock: this.clock,
      onError: this.#onError,
      outbox: options.outbox ?? {},
      telemetry,
      durable: this.#durable,
    });
    this.#deps = {
      repository: this.repository,
      clock: this.clock,
      observers: new ObserverSet(options.observers ?? [], this.#onError),
      outbox: this.#outbox,
      compensationRetry: checkedPolicy(options.compensationRetry, 'compensationRetry') ?? NO_RETRY,
      telemetry,
      durable: this.#durable,
    };
    this.relay =
      this.#outbox.enabled && options.relay !== false
        ? new OutboxRelay({
            onError: this.#onError,
            telemetry: options.telemetry,
            outage: this.#outage,
            ...options.relay,
            repository: this.repository,
            bus,
            clock: this.clock,
          })
        : undefined;
    const relay = this.relay;
    if (relay) this.#outbox.onScheduled = (entries) => relay.wakeAt(Math.min(...entries.map((e) => e.availableAt.getTime())));
    this.deadLetters = new DeadLetters(this.repository, this.clock, (envelope) => this.dispatch(envelope), this.#maxPayloadBytes);
    this.#subscribes = options.subscribe ?? true;
    this.#commandOptions = options.commands ?? {};
    if (this.#subscribes) {
      for (const type of this.#routes.keys()) {
        // From a transport, a message that can never succeed is dead-lettered rather than redelivered forever.
        this.#unsubscribe.push(bus.subscribe(type, async (envelope) => void (await this.receive(envelope))));
      }
    }
  }

  /**
   * Resumes compensations a crash interrupted (`recover()`), then starts the outbox relay. Call it once
   * at start-up of a long-running process.
   */
  async start(): Promise<void> {
    await this.#startupCheck();
    await this.recover();
    this.relay?.start();
    this.#recovery ??= setInterval(() => {
      this.#recovering ??= this.recover()
        .catch((error: unknown) => this.#backgroundError(error))
        .finally(() => (this.#recovering = undefined));
    }, Math.max(1, this.#compensationLeaseMs / 2));
    this.#recovery.unref?.();
  }

  async #startupCheck(): Promise<void> {
    if (this.#checkMode === 'off') return;
    const report = await checkSagas([...this.#sagas.values()], this.repository, new Date(this.clock.now()));
    this.startupReport = report;
    if (report.ok) return;
    if (this.#checkMode === 'refuse') throw new StrandedInstancesError(summarize(report), report);
    if (this.#logger) this.#logger.log('warn', { msg: 'live instances the loaded definitions cannot handle (sagaflow check)', report });
    else console.warn(`[sagaflow] live instances the loaded definitions cannot handle: ${summarize(report)} (run sagaflow check)`);
  }

  /**
   * The entry point for transports: takes bytes, text or an object, and never throws for a message that
   * can never succeed — it stores it as a dead letter, with the reason, and returns that. What may pass
   * (the store being down) is thrown, for the transport to redeliver.
   */
  async receive(input: unknown): Promise<ReceiveResult> {
    const incoming = readIncoming(input);
    const envelope = 'messageId' in incoming.envelope ? incoming.envelope : undefined;
    const t = this.#telemetry;
    return t.active ? t.process(envelope, () => this.#receive(incoming, envelope)) : this.#receive(incoming, envelope);
  }

  async #receive(incoming: Incoming, envelope: Envelope | undefined): Promise<ReceiveResult> {
    try {
      if (envelope === undefined) throw incoming.envelope;
      return { status: 'handled', result: await this.#handle(envelope) };
    } catch (error) {
      const reason = deadLetterReason(error);
      if (reason === null) throw error;
      const deadLetter = this.deadLetters.letterFor(incoming.stored, envelope, reason, error);
      // Retried through an outage: a transport would redeliver the message, but one that came through
      // dispatch or the in-process bus would be lost with its letter. Sent again, it is the same id.
      await durably(() => this.repository.addDeadLetter(deadLetter), this.#durable);
      this.#telemetry.deadLettered(deadLetter, error);
      this.#deps.observers.notify('deadLettered', { deadLetter, error });
      return { status: 'dead-lettered', deadLetter };
    }
  }

  /** Resolves once every outgoing message sent so far has been delivered and marked sent (or failed). */
  async idle(): Promise<void> {
    for (;;) {
      await this.#outbox.idle();
      if (this.bus instanceof InProcessBus) await this.bus.idle();
      if (!this.#outbox.busy) return;
    }
  }

  /**
   * False from the first write that found the store unreachable until the next one that landed: a
   * `WorkerHost` answers not ready on `/health` meanwhile.
   */
  get storeAvailable(): boolean {
    return !this.#outage.down;
  }

  /** True when it subscribed to its bus itself (option `subscribe`, default true). */
  get subscribed(): boolean {
    return this.#unsubscribe.length > 0;
  }

  /**
   * True when this orchestrator logs every dead letter itself (it was given a `logger`): a host that
   * logs each message it handles then leaves that line to it rather than writing it twice.
   */
  get logsDeadLetters(): boolean {
    return this.#logsDeadLetters;
  }

  /** The message types some saga handles. */
  get handledTypes(): readonly string[] {
    return this.#commands ? [...this.#routes.keys(), ...this.#commands.commandTypes] : [...this.#routes.keys()];
  }

  /** The command handlers registered with `handle()` (to `cancel` a running command, say); none yet: undefined. */
  get commands(): CommandProcessor | undefined {
    return this.#commands;
  }

  /**
   * Registers the handler of a command: this orchestrator then runs the command when it arrives (from
   * its bus, `receive` or `dispatch`) and publishes its outcome (`command.completed`, `.failed`,
   * `.cancelled`, `.timedOut`) for the sagas waiting on it. See `CommandProcessor`.
   *
   * @example
   * orchestrator.handle(ChargeCard, async (input, ctx) => ({ transactionId: await psp.charge(input.amount, ctx.commandId) }));
   */
  handle<C extends CommandDefinition>(command: C, handler: CommandHandler<C>, options?: HandleOptions<C>): this {
    if (this.#routes.has(command?.name)) {
      throw new TypeError(`'${command.name}' is handled by a saga here; a command has either a saga or a handler`);
    }
    this.#commands ??= new CommandProcessor({
      repository: this.repository,
      outbox: this.#outbox,
      clock: this.clock,
      onError: this.#onError,
      signal: this.#stopping.signal,
      outage: this.#outage,
      ...this.#commandOptions,
    });
    this.#commands.handle(command, handler, options);
    if (this.#subscribes) this.#unsubscribe.push(this.bus.subscribe(command.name, async (envelope) => void (await this.receive(envelope))));
    return this;
  }

  /**
   * Validates `payload`, wraps it in an envelope and dispatches it.
   *
   * @example
   * await orchestrator.publish(PaymentProcessed, { orderId: 'o-1', transactionId: 'tx-9' }, { correlationId: 'o-1' });
   */
  publish<M extends MessageDefinition>(message: M, payload: InputOf<M>, options: EnvelopeOptions = {}): Promise<DispatchResult> {
    const envelope = createEnvelope(message.kind, message.name, payload, options, new Date(this.clock.now()));
    return this.#dispatch(envelope);
  }

  /**
   * Routes one envelope to every saga that handles its type. Throws a typed error when the envelope is
   * malformed, its payload invalid, or a saga's policy says so; in every such case nothing was written
   * for that saga.
   */
  async dispatch(envelope: Envelope): Promise<DispatchResult> {
    // An envelope object, not bytes or text: those are receive()'s.
    if (typeof envelope !== 'object' || envelope === null || ArrayBuffer.isView(envelope)) throw new EnvelopeError('not an object');
    // Read once into a plain copy: a getter or proxy in the caller's object cannot change or break it later.
    const incoming = readIncoming(envelope);
    if (!('messageId' in incoming.envelope)) throw incoming.envelope;
    return this.#dispatch(incoming.envelope);
  }

  /** Handles one message, as a span of its own when tracing (`receive` makes its own). */
  #dispatch(envelope: Envelope): Promise<DispatchResult> {
    const t = this.#telemetry;
    return t.active ? t.process(envelope, () => this.#handle(envelope)) : this.#handle(envelope);
  }

  async #handle(envelope: Envelope): Promise<DispatchResult> {
    if (this.#closed) throw new SagaflowError('SAGA_ORCHESTRATOR_CLOSED', 'the orchestrator is closed');
    this.#checkLimits(envelope);
    if (this.#commands?.handles(envelope.type)) {
      return { messageId: envelope.messageId, type: envelope.type, outcomes: [], command: await this.#commands.process(envelope) };
    }
    let routes = this.#routes.get(envelope.type);
    const target = envelope.headers[SCHEDULE_SAGA_HEADER];
    // A scheduled message is for the saga that scheduled it, and names its instance in the envelope.
    if (target !== undefined && routes !== undefined) routes = routes.filter((r) => r.saga.name === target);
    if (routes === undefined || routes.length === 0) {
      if (this.#unknownEvent === 'ignore') return { messageId: envelope.messageId, type: envelope.type, outcomes: [] };
      throw new UnknownEventError(envelope.type, [...this.#routes.keys()]);
    }
    if (routes.length === 1) {
      const outcome = await this.#route(routes[0]!, envelope, routes[0]!.event.message.parse(envelope.payload));
      return { messageId: envelope.messageId, type: envelope.type, outcomes: [outcome] };
    }
    // Payloads are validated for every saga before any saga runs, so a bad payload changes nothing anywhere.
    const parsed = new Map<MessageDefinition, unknown>();
    for (const r of routes) if (!parsed.has(r.event.message)) parsed.set(r.event.message, r.event.message.parse(envelope.payload));
    const outcomes: SagaOutcome[] = [];
    const errors: unknown[] = [];
    for (const r of routes) {
      try {
        outcomes.push(await this.#route(r, envelope, parsed.get(r.event.message)));
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} sagas failed handling '${envelope.type}'`);
    return { messageId: envelope.messageId, type: envelope.type, outcomes };
  }

  #addRoute(type: string, route: Route): void {
    const routes = this.#routes.get(type);
    if (routes) routes.push(route);
    else this.#routes.set(type, [route]);
  }

  /**
   * The same limits for publish(), dispatch() and receive(), before anything is loaded, run or written:
   * the payload's size (`PayloadTooLargeError`, checked first), then values no store can hold
   * (`UnstorableValueError`). One walk does both for a small message; only a bound over the limit, or a
   * refused value, pays for the exact size.
   */
  #checkLimits(envelope: Envelope): void {
    let refused: unknown;
    let bound = 0;
    try {
      bound = checkEnvelope(envelope);
    } catch (error) {
      refused = error;
    }
    if (refused === undefined && bound <= this.#maxPayloadBytes) return;
    let bytes = 0;
    try {
      bytes = payloadBytes(envelope);
    } catch {
      // A BigInt or a cycle: what the walk refused says which.
    }
    if (bytes > this.#maxPayloadBytes) throw new PayloadTooLargeError(envelope.type, bytes, this.#maxPayloadBytes);
    if (refused !== undefined) throw refused;
  }

  #route(route: Route, received: Envelope, payload: unknown): Promise<SagaOutcome> {
    const { saga, event } = route;
    const envelope = route.renamedTo === undefined ? received : renamedEnvelope(received, route.renamedTo, commandAliases(saga));
    let correlationId: string | undefined;
    try {
      correlationId = envelope.headers[SCHEDULE_SAGA_HEADER] === saga.name ? envelope.correlationId : event.correlate(payload, envelope);
    } catch (error) {
      return Promise.reject(
        new EnvelopeError(`'${envelope.type}': saga '${saga.name}' could not correlate it: ${String(error)}`),
      );
    }
    if (typeof correlationId !== 'string' || correlationId.length === 0) {
      return Promise.reject(
        new EnvelopeError(
          `'${envelope.type}' has no correlation id for saga '${saga.name}' ` +
            `(set envelope.correlationId, or declare .event(${envelope.type}, { correlateBy }))`,
        ),
      );
    }
    const key = `${saga.name}\u0000${correlationId}`;
    return this.#mutex.run(key, () => this.#withRetry(saga, envelope, key, correlationId, payload, event));
  }

  async #withRetry(
    saga: CompiledSaga,
    envelope: Envelope,
    key: string,
    correlationId: string,
    payload: unknown,
    event: CompiledEvent,
  ): Promise<SagaOutcome> {
    // Two budgets: the store's (conflicts, transient failures) and the application's (failing actions).
    let conflicts = 0;
    let failures = 0;
    let unreachable = 0;
    let fresh = false;
    let uncertain = false;
    // After a version conflict, the next attempts hold the instance (read to commit) where the store can:
    // contended writers then queue on it, in arrival order, instead of colliding again. An instance that
    // conflicted moments ago is locked from the first attempt.
    let lock = this.#locks && this.#contended.has(key);
    const policy = event.retry ?? this.#actionRetry;
    for (;;) {
      const period = this.#outage.period;
      try {
        const outcome = await this.#telemetry.transition(saga.name, envelope, correlationId, () =>
          lock ? this.#applyLocked(saga, event, envelope, payload, correlationId) : applyEvent(this.#deps, saga, event, envelope, payload, correlationId, fresh),
        );
        // A transient failure may have hidden a commit that applied: the retry then sees a duplicate. If
        // that commit started a compensation, nobody is running it: finish it here (the claim is
        // version-checked, so a runner elsewhere and this one never both proceed).
        if (uncertain && outcome.result === 'duplicate') await this.#finishCompensation(saga, correlationId);
        if (this.#outage.down) this.#outage.recovered(period);
        return outcome;
      } catch (error) {
        // After any failure, read past caches: a stale copy may be what failed.
        fresh = true;
        if (error instanceof StaleReadSignal) continue;
        let delay: number | null;
        if (error instanceof TransientStoreError && error.unavailable) {
          // The server is away: a few quick tries ride over one dropped connection; past them the caller
          // gets the TransientStoreError itself, at once, to send the same message again later (a
          // transport redelivers it, the outbox relay retries it, the inbox drops it if it had applied).
          uncertain = true;
          this.#outage.failed(error, period);
          if (++unreachable >= UNREACHABLE_ATTEMPTS) throw error;
          const delay = conflictBackoff(UNREACHABLE_BACKOFF, unreachable);
          this.#telemetry.retry(saga.name, envelope, error, conflicts + failures + unreachable, delay);
          await sleep(delay);
          continue;
        }
        if (error instanceof ConcurrencyError || error instanceof TransientStoreError) {
          if (error instanceof TransientStoreError) uncertain = true;
          else this.#telemetry.conflict(saga.name, envelope.type);
          conflicts++;
          // The lock is the wait: no backoff before taking it.
          const locks = error instanceof ConcurrencyError && this.#locks;
          if (locks) {
            lock = true;
            this.#contended.mark(key);
          }
          delay = conflicts < this.#retry.maxAttempts ? (locks ? 0 : conflictBackoff(this.#retry, conflicts)) : null;
        } else if (error instanceof ActionError) {
          failures++;
          delay = retryDelay(policy, failures);
          // With no retries configured the action's own error is the clearest thing to throw.
          if (delay === null && failures === 1) return this.#fault(saga, correlationId, envelope, error);
        } else {
          return this.#fault(saga, correlationId, envelope, error);
        }
        if (delay === null) {
          const attempts = conflicts + failures;
          return this.#fault(saga, correlationId, envelope, new RetriesExhaustedError(saga.name, correlationId, envelope.type, attempts, error));
        }
        this.#telemetry.retry(saga.name, envelope, error, conflicts + failures, delay);
        await sleep(delay);
      }
    }
  }

  /** One attempt holding the instance from its read to its commit (`SagaRepository.lockInstance`). */
  async #applyLocked(saga: CompiledSaga, event: CompiledEvent, envelope: Envelope, payload: unknown, correlationId: string): Promise<SagaOutcome> {
    const locked = await this.repository.lockInstance!(saga.name, correlationId);
    try {
      return await applyEvent(this.#deps, saga, event, envelope, payload, correlationId, true, locked);
    } finally {
      await locked.release(); // nothing once its commit ended it
    }
  }

  async #finishCompensation(saga: CompiledSaga, correlationId: string): Promise<void> {
    const record = await this.repository.findByCorrelation(saga.name, correlationId, { fresh: true });
    if (record?.status !== SagaStatus.Compensating) return;
    try {
      await this.#resume(saga, record);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error; // another runner claimed it first
    }
  }

  /** A background pass failed: an unreachable store is the outage's to report (once); the rest `onError`'s. */
  #backgroundError(error: unknown): void {
    if (error instanceof TransientStoreError && error.unavailable) this.#outage.failed(error);
    else this.#onError(error);
  }

  #fault(saga: CompiledSaga, correlationId: string, envelope: Envelope, error: unknown): never {
    this.#deps.observers.notify('faulted', { saga: saga.name, correlationId, envelope, error });
    this.#telemetry.faulted(saga.name, correlationId, envelope, error);
    throw error;
  }

  /** The instance of `saga` for a correlation id, with its data validated, or `null`. */
  async find<D>(saga: Saga<string, D, string> | string, correlationId: string): Promise<SagaInstance<D> | null> {
    const compiled = this.#saga(saga);
    const stored = await this.repository.findByCorrelation(compiled.name, correlationId, { fresh: true });
    if (!stored) return null;
    // An instance an older definition wrote, as this one would hold it (nothing is written).
    const record = needsMigration(compiled, stored) ? migrateInstance(compiled, stored, new Date(this.clock.now())).record : stored;
    return { ...record, data: hydrateData(compiled, record) as D };
  }

  /**
   * Resumes a compensation that stopped on a failing step (status `compensation_failed`), or one left
   * `compensating` by a crash. The step that failed runs again first.
   */
  async retryCompensation(saga: AnySaga | string, correlationId: string): Promise<CompensationRun> {
    const compiled = this.#saga(saga);
    return this.#mutex.run(`${compiled.name}\u0000${correlationId}`, async () => {
      const record = await this.repository.findByCorrelation(compiled.name, correlationId, { fresh: true });
      if (!record || (record.status !== SagaStatus.CompensationFailed && record.status !== SagaStatus.Compensating)) {
        throw new SagaflowError(
          NOT_COMPENSATING,
          `saga '${compiled.name}' instance '${correlationId}' ${record ? `is ${record.status}` : 'does not exist'}: nothing to compensate`,
        );
      }
      return this.#resume(compiled, record);
    });
  }

  /**
   * Finds instances left `compensating` by a process that died mid-run and finishes their compensation.
   * `start()` runs it, and again every half `compensationLeaseMs`. Only instances whose last write is
   * older than `olderThanMs` (default: `compensationLeaseMs`) are taken: every finished step writes, so a
   * live runner keeps its instances fresh, and a step is taken over only once it has run longer than
   * that. Pass `{ olderThanMs: 0 }` when you know the runner is gone. Returns how many it resumed.
   */
  async recover(options: { readonly olderThanMs?: number } = {}): Promise<number> {
    const olderThanMs = options.olderThanMs ?? this.#compensationLeaseMs;
    const before = new Date(this.clock.now() - olderThanMs + 1);
    let resumed = 0;
    for (const compiled of this.#sagas.values()) {
      let cursor: string | undefined;
      do {
        const page = await this.repository.list({
          sagaName: compiled.name,
          status: SagaStatus.Compensating,
          updatedBefore: before,
          order: 'asc',
          limit: 100,
          ...(cursor !== undefined && { cursor }),
        });
        for (const record of page.items) {
          const run = await this.#mutex.run(`${compiled.name}\u0000${record.correlationId}`, async () => {
            const fresh = await this.repository.findById(record.id);
            if (fresh?.status !== SagaStatus.Compensating) return null;
            try {
              return await this.#resume(compiled, fresh);
            } catch (error) {
              if (error instanceof ConcurrencyError) return null; // another process claimed it first
              throw error;
            }
          });
          if (run) resumed++;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    }
    return resumed + ((await this.#commands?.recover()) ?? 0);
  }

  async #resume(compiled: CompiledSaga, stored: SagaInstanceRecord): Promise<CompensationRun> {
    // An instance an older definition wrote is migrated first (its steps may have been renamed).
    const record = needsMigration(compiled, stored) ? await writeMigration(this.repository, compiled, stored, new Date(this.clock.now())) : stored;
    return resumeCompensation(this.#deps, compiled, record, hydrateData(compiled, record));
  }

  /** The compiled saga registered under a name (for tools: diagrams, descriptions). */
  saga(name: string): CompiledSaga | undefined {
    return this.#sagas.get(name);
  }

  #saga(saga: AnySaga | string): CompiledSaga {
    const name = typeof saga === 'string' ? saga : saga.name;
    const compiled = this.#sagas.get(name);
    if (!compiled) {
      throw new SagaflowError('SAGA_UNKNOWN', `no saga '${name}' is registered; registered: ${[...this.#sagas.keys()].join(', ')}`);
    }
    return compiled;
  }

  /** Unsubscribes from the bus and stops the relay; events and deliveries in progress finish. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopping.abort();
    for (const off of this.#unsubscribe.splice(0)) off();
    clearInterval(this.#recovery);
    await this.#recovering;
    await this.relay?.stop();
    await this.#outbox.idle();
  }
}

function checkedPolicy(policy: RetryPolicy | undefined, option: string): RetryPolicy | undefined {
  if (policy === undefined) return undefined;
  const problem = retryPolicyProblem(policy);
  if (problem) throw new RangeError(`SagaOrchestrator option ${option}: ${problem}`);
  return Object.freeze({ ...policy });
}

/** An instance with its data typed by the saga's schema. */
export interface SagaInstance<D> extends Omit<SagaInstanceRecord, 'data'> {
  readonly data: D;
}
