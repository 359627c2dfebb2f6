/**
 * @module host/worker-host
 * Runs one orchestrator as a long-lived worker, in the background-service pattern: `start()` resumes
 * interrupted compensations and starts the outbox relay (the scheduler) and any other background
 * services, then takes messages from the bus; `stop()` — also on SIGTERM or SIGINT — stops taking
 * messages, lets the ones in flight finish within a deadline, and then stops the background services.
 * Messages are handled through `orchestrator.receive()` under a concurrency limit, and every one is
 * logged as one structured line with its saga, correlation id and message id.
 *
 * A message that arrives while the worker drains is refused: on a broker it is redelivered to another
 * worker; on the in-process bus its publisher sees `WorkerStoppingError`.
 */
import type { MessageBus } from '../bus/message-bus.ts';
import { SagaflowError } from '../errors/sagaflow-error.ts';
import { TransientStoreError } from '../errors/transient-store-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { SagaOrchestrator } from '../runtime/orchestrator.ts';
import { ConcurrencyLimit } from './concurrency-limit.ts';
import { startHealthServer, type HealthReport, type HealthServer } from './health-server.ts';
import { jsonLogger, type Logger } from './logger.ts';
import { toLogger, type AnyLogger } from '../telemetry/pino.ts';
import { RetentionService, type RetentionPolicy } from '../ops/retention.ts';

export const WORKER_STOPPING = 'SAGA_WORKER_STOPPING';

/** The worker is draining and takes no new messages. */
export class WorkerStoppingError extends SagaflowError {
  constructor(messageType: string) {
    super(WORKER_STOPPING, `the worker is stopping and does not take '${messageType}'`);
  }
}

/** Anything with a start and a stop: a `StaleSweeper`, a metrics pusher, your own loop. */
export interface BackgroundService {
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** A bus with an optional life cycle, as broker transports have. */
export type Transport = MessageBus & {
  readonly start?: () => Promise<void>;
  readonly ready?: () => Promise<void>;
  readonly close?: () => Promise<void>;
};

export interface WorkerHostOptions {
  /** Build it with `subscribe: false`: the host subscribes, so that it can limit and drain. */
  readonly orchestrator: SagaOrchestrator;
  /**
   * Where messages come from; default the orchestrator's bus. A transport's `start()` runs first (so the
   * relay can publish), its `ready()` after subscribing, its `close()` last.
   */
  readonly bus?: Transport;
  /** Messages handled at once. Default 16. */
  readonly concurrency?: number;
  /** How long `stop()` waits for messages in flight. Default 30 s. */
  readonly shutdownTimeoutMs?: number;
  readonly services?: readonly BackgroundService[];
  /** A pino logger or a Sagaflow `Logger`. Default: JSON lines on stdout (`jsonLogger`). */
  readonly logger?: AnyLogger;
  /** Serve `GET /health` on this port (0: any free port). */
  readonly health?: { readonly port: number; readonly host?: string };
  /** Stop on SIGTERM and SIGINT. Default true. */
  readonly handleSignals?: boolean;
  /** Names this worker in every log line. Default `worker-<pid>`. */
  readonly name?: string;
  /**
   * Remove finished instances older than an age, per saga, in batches every `intervalMs` (default 5 min;
   * `ops/retention`, docs/operations.md "Retention"). Every worker may run it: no leader is needed.
   */
  readonly retention?: RetentionPolicy & { readonly intervalMs?: number };
}

export interface StopReport {
  /** Messages that finished while draining. */
  readonly drained: number;
  /** Messages still running when the deadline passed (a broker redelivers them). */
  readonly abandoned: number;
}

export class WorkerHost {
  readonly #o: WorkerHostOptions;
  readonly #bus: Transport;
  readonly #limit: ConcurrencyLimit;
  readonly #logger: Logger;
  readonly #name: string;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #services: readonly BackgroundService[];
  #status: HealthReport['status'] = 'stopped';
  #startedAt = 0;
  #handled = 0;
  #deadLettered = 0;
  #failed = 0;
  #health: HealthServer | undefined;
  #stopping: Promise<StopReport> | undefined;
  #signals: Array<[NodeJS.Signals, () => void]> = [];

  constructor(options: WorkerHostOptions) {
    if (options.orchestrator.subscribed) {
      throw new RangeError('WorkerHost: build the orchestrator with subscribe: false; the host takes the messages');
    }
    this.#o = options;
    this.#bus = options.bus ?? options.orchestrator.bus;
    this.#limit = new ConcurrencyLimit(options.concurrency ?? 16);
    this.#logger = toLogger(options.logger) ?? jsonLogger();
    this.#name = options.name ?? `worker-${process.pid}`;
    this.#services = [...(options.services ?? []), ...(options.retention ? [this.#retention(options.retention)] : [])];
  }

  #retention(policy: RetentionPolicy & { readonly intervalMs?: number }): RetentionService {
    const { intervalMs, ...rest } = policy;
    return new RetentionService({
      repository: this.#o.orchestrator.repository,
      policy: rest,
      clock: this.#o.orchestrator.clock,
      ...(intervalMs !== undefined && { intervalMs }),
      onPass: (report) => report.instances > 0 && this.#logger.log('info', { msg: 'retention purged', worker: this.#name, instances: report.instances, batches: report.batches }),
      onError: (error) => this.#logger.log('error', { msg: 'retention pass failed', worker: this.#name, error }),
    });
  }

  get status(): HealthReport['status'] {
    return this.#status;
  }

  /** The health check's answer: status, counts, load. */
  health(): HealthReport {
    const connected = (this.#bus as { connected?: unknown }).connected;
    const storeAvailable = this.#o.orchestrator.storeAvailable;
    return {
      status: this.#status,
      // Taking messages: running, connected to the broker when the transport says whether it is, and
      // the store reachable (a worker that cannot write is not ready; it becomes ready again by itself).
      ready: this.#status === 'running' && connected !== false && storeAvailable,
      ...(typeof connected === 'boolean' && { transportConnected: connected }),
      storeAvailable,
      worker: this.#name,
      uptimeMs: this.#startedAt ? Date.now() - this.#startedAt : 0,
      inFlight: this.#limit.active,
      waiting: this.#limit.waiting,
      handled: this.#handled,
      deadLettered: this.#deadLettered,
      failed: this.#failed,
    };
  }

  /** The port of the health endpoint, once started with `health`. */
  get healthPort(): number | undefined {
    return this.#health?.port;
  }

  async start(): Promise<void> {
    if (this.#status !== 'stopped' || this.#stopping) throw new RangeError(`the worker is ${this.#status}; start it once`);
    this.#status = 'starting';
    this.#startedAt = Date.now();
    if (this.#o.health) this.#health = await startHealthServer(() => this.health(), this.#o.health);
    await this.#bus.start?.();
    await this.#o.orchestrator.start();
    for (const service of this.#services) await service.start();
    for (const type of this.#o.orchestrator.handledTypes) {
      this.#unsubscribe.push(this.#bus.subscribe(type, (envelope) => this.#take(envelope)));
    }
    await this.#bus.ready?.();
    if (this.#o.handleSignals ?? true) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const listener = () => void this.stop(signal);
        process.once(signal, listener);
        this.#signals.push([signal, listener]);
      }
    }
    this.#status = 'running';
    this.#logger.log('info', { msg: 'worker started', worker: this.#name, types: this.#o.orchestrator.handledTypes });
  }

  /** Stops taking messages, drains within the deadline, stops the background services. Idempotent. */
  stop(reason = 'stop()'): Promise<StopReport> {
    this.#stopping ??= this.#drain(reason);
    return this.#stopping;
  }

  #take(envelope: Envelope): Promise<void> {
    if (this.#status !== 'running') return Promise.reject(new WorkerStoppingError(envelope.type));
    const task = this.#limit.run(() => this.#handle(envelope));
    this.#inFlight.add(task);
    return task.finally(() => this.#inFlight.delete(task));
  }

  async #handle(envelope: Envelope): Promise<void> {
    const started = performance.now();
    const base = { worker: this.#name, type: envelope.type, messageId: envelope.messageId, correlationId: envelope.correlationId };
    try {
      const result = await this.#o.orchestrator.receive(envelope);
      const ms = Math.round((performance.now() - started) * 100) / 100;
      if (result.status === 'dead-lettered') {
        this.#deadLettered++;
        if (this.#o.orchestrator.logsDeadLetters) return;
        const d = result.deadLetter;
        this.#logger.log('warn', {
          msg: 'dead-lettered',
          ...base,
          saga: d.sagaName,
          correlationId: d.correlationId ?? base.correlationId,
          reason: d.reason,
          code: d.errorCode,
          error: d.errorMessage,
          deadLetterId: d.id,
          ms,
        });
        return;
      }
      this.#handled++;
      for (const outcome of result.result.outcomes) {
        this.#logger.log('info', {
          msg: 'handled',
          ...base,
          saga: outcome.saga,
          correlationId: outcome.correlationId,
          result: outcome.result,
          ...(outcome.result === 'applied' && { state: outcome.state, version: outcome.version }),
          ms,
        });
      }
    } catch (error) {
      // Only what may pass reaches here (the store being down): the transport redelivers it. During an
      // outage the orchestrator logs it once; a line per message would bury that line.
      this.#failed++;
      const outage = error instanceof TransientStoreError && error.unavailable && !this.#o.orchestrator.storeAvailable;
      if (!outage) this.#logger.log('error', { msg: 'failed, left for redelivery', ...base, error });
      throw error;
    }
  }

  async #drain(reason: string): Promise<StopReport> {
    this.#status = 'stopping';
    this.#logger.log('info', { msg: 'worker stopping', worker: this.#name, reason, inFlight: this.#inFlight.size });
    for (const off of this.#unsubscribe.splice(0)) off();
    for (const [signal, listener] of this.#signals.splice(0)) process.removeListener(signal, listener);
    const pending = [...this.#inFlight];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#o.shutdownTimeoutMs ?? 30_000);
    });
    const finished = await Promise.race([Promise.allSettled(pending).then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    const abandoned = finished === 'done' ? 0 : this.#inFlight.size;
    const report: StopReport = { drained: pending.length - abandoned, abandoned };
    for (const service of [...this.#services].reverse()) {
      await Promise.resolve(service.stop()).catch((error: unknown) => this.#logger.log('error', { msg: 'service failed to stop', error }));
    }
    await this.#o.orchestrator.close();
    await this.#bus.close?.();
    await this.#health?.close();
    this.#status = 'stopped';
    this.#logger.log('info', { msg: 'worker stopped', worker: this.#name, ...report });
    return report;
  }
}
