/**
 * @module runtime/outbox-relay
 * Delivers what is left in the outbox: messages whose committing process died before it marked them
 * sent, and messages staged with `stageOutbox`. It claims a batch with a lease (so concurrent relays in
 * other processes never take the same message while the lease runs), publishes each to the transport,
 * and marks sent only what the transport accepted. A message that fails stays claimed until its lease
 * runs out and is tried again then. Delivery is at-least-once; the inbox makes duplicates harmless.
 *
 * While the store is away the relay backs off (`durableDelay`, up to 2 s between passes) instead of
 * polling at its interval, reports the outage once (through `outage`), and resumes by itself; its
 * "sent" marks are retried until they land or it stops.
 */
import type { Clock } from '../clock/clock.ts';
import { systemClock } from '../clock/clock.ts';
import type { MessageBus } from '../bus/message-bus.ts';
import type { OutboxMessage, SagaRepository } from '../repository/types.ts';
import { MinHeap } from './min-heap.ts';
import { Instrumentation } from '../telemetry/instrumentation.ts';
import type { TelemetryOptions } from '../telemetry/telemetry-options.ts';
import { TransientStoreError } from '../errors/transient-store-error.ts';
import { DEFAULT_DURABLE_RETRY, durableDelay, durably, pause } from './durable-write.ts';
import type { StoreOutage } from './store-outage.ts';

export interface OutboxRelayOptions {
  readonly repository: SagaRepository;
  readonly bus: MessageBus;
  readonly clock?: Clock;
  /** Messages per claim. Default 100. */
  readonly batchSize?: number;
  /** How long a claim keeps other relays off a message. Default 30 s; longer than any publish. */
  readonly leaseMs?: number;
  /** Pause between polls when the outbox had nothing due. Default 1 s. */
  readonly pollIntervalMs?: number;
  /**
   * Whose clock decides what is due: `'clock'` (default, the relay's `clock`, so a `FakeClock` drives it
   * in tests) or `'store'` (the database's, so processes whose clocks drift agree on deadlines).
   */
  readonly time?: 'clock' | 'store';
  /** Messages published at once within a batch. Default 16. */
  readonly concurrency?: number;
  readonly onError?: (error: unknown, message?: OutboxMessage) => void;
  /** Where `send` spans go: see the orchestrator's option of this name. Default: the global SDK, if any. */
  readonly telemetry?: TelemetryOptions | false;
  /**
   * Told when the store fails and comes back: failures of an unreachable store are reported there, once
   * per outage, instead of to `onError` once per pass. Default: none (every failure goes to `onError`).
   */
  readonly outage?: StoreOutage;
}

export interface RelayPass {
  readonly claimed: number;
  readonly sent: number;
  readonly failed: number;
}

/**
 * @example
 * const relay = new OutboxRelay({ repository, bus });
 * relay.start();            // polls until stop()
 * await relay.runOnce();    // or drive it yourself (tests, cron)
 */
export class OutboxRelay {
  readonly #repository: SagaRepository;
  readonly #bus: MessageBus;
  readonly #clock: Clock;
  readonly #batchSize: number;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #concurrency: number;
  readonly #storeTime: boolean;
  readonly #onError: (error: unknown, message?: OutboxMessage) => void;
  readonly #telemetry: Instrumentation;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #alarm: ReturnType<typeof setTimeout> | undefined;
  #nextWake: number | undefined;
  /** Due times of schedules this process committed: the alarm goes off at the earliest. */
  readonly #due = new MinHeap();
  #woken = false;
  readonly #outage: StoreOutage | undefined;
  /** Aborted by `stop()`: "sent" marks retried through an outage give up. */
  #stopping = new AbortController();
  /** Passes in a row that failed transiently: the pause before the next one grows with it. */
  #failures = 0;

  constructor(options: OutboxRelayOptions) {
    this.#repository = options.repository;
    this.#bus = options.bus;
    this.#clock = options.clock ?? systemClock;
    this.#batchSize = options.batchSize ?? 100;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#concurrency = Math.max(1, options.concurrency ?? 16);
    this.#storeTime = options.time === 'store';
    this.#onError = options.onError ?? ((error) => console.error('[sagaflow] outbox relay:', error));
    this.#telemetry = new Instrumentation(options.telemetry, { bus: options.bus });
    this.#outage = options.outage;
  }

  get running(): boolean {
    return this.#running;
  }

  /** One claim-and-deliver pass over at most `batchSize` due messages. */
  async runOnce(): Promise<RelayPass> {
    const now = this.#clock.now();
    const claimed = await this.#repository.claimOutbox(
      this.#storeTime
        ? { limit: this.#batchSize, leaseMs: this.#leaseMs }
        : { limit: this.#batchSize, now: new Date(now), leaseUntil: new Date(now + this.#leaseMs) },
    );
    const sent: string[] = [];
    let failed = 0;
    let next = 0;
    const worker = async () => {
      while (next < claimed.length) {
        const message = claimed[next++]!;
        try {
          await this.#telemetry.send(message.envelope, this.#bus);
          sent.push(message.id);
        } catch (error) {
          failed++;
          if (this.#outage && error instanceof TransientStoreError && error.unavailable) this.#outage.failed(error);
          else this.#onError(error, message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, claimed.length) }, worker));
    if (sent.length > 0) await durably(() => this.#repository.markSent(sent), { signal: this.#stopping.signal, outage: this.#outage });
    return { claimed: claimed.length, sent: sent.length, failed };
  }

  /** Polls until `stop()`: full batches are followed at once by the next pass, an empty one by a pause. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#stopping.signal.aborted) this.#stopping = new AbortController();
    this.#loop = this.#run();
  }

  /** Cuts the current pause short (new messages were staged). */
  wake(): void {
    if (this.#wake) this.#wake();
    else this.#woken = true; // mid-pass: the next pass follows at once
  }

  /**
   * Makes sure a pass runs at `time` (clock ms) even if the poll interval is longer: a schedule this
   * process committed is then delivered on time without polling faster. Other processes' schedules are
   * found by polling.
   */
  wakeAt(time: number): void {
    if (!this.#running) return;
    this.#due.push(time);
    if (this.#nextWake === undefined || time < this.#nextWake) this.#arm();
  }

  /** Sets the alarm for the earliest due time it knows of, dropping those already past. */
  #arm(): void {
    clearTimeout(this.#alarm);
    this.#nextWake = undefined;
    const now = this.#clock.now();
    while (this.#due.size > 0 && this.#due.peek()! < now) this.#due.pop();
    const next = this.#due.peek();
    if (next === undefined) return;
    this.#nextWake = next;
    // +1 ms: a timer may fire within the millisecond before its due time, when nothing is due yet.
    this.#alarm = setTimeout(() => {
      this.#due.pop();
      this.wake();
      this.#arm();
    }, Math.max(0, next - now + 1));
    this.#alarm.unref?.();
  }

  /** Stops polling; resolves once the pass in progress has finished. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#stopping.abort();
    clearTimeout(this.#alarm);
    this.#nextWake = undefined;
    this.#due.clear();
    this.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let full = false;
      const period = this.#outage?.period;
      try {
        const pass = await this.runOnce();
        full = pass.claimed === this.#batchSize && pass.failed === 0;
        if (this.#failures > 0) {
          this.#failures = 0;
          this.#outage?.recovered(period);
        }
      } catch (error) {
        const transient = error instanceof TransientStoreError;
        if (transient) this.#failures++;
        if (transient && error.unavailable && this.#outage) this.#outage.failed(error, period);
        else this.#onError(error);
      }
      if (this.#failures > 0 && this.#running) {
        // The store is away: back off rather than poll a dead server (a wake-up does not cut this short).
        await pause(durableDelay(DEFAULT_DURABLE_RETRY, this.#failures), this.#stopping.signal);
      } else if (!full && this.#running && !this.#woken) await this.#pause();
      this.#woken = false;
    }
  }

  #pause(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.#timer);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      this.#timer = setTimeout(done, this.#pollIntervalMs);
    });
  }
}
