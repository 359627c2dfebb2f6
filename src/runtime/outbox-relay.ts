/**
 * @module runtime/outbox-relay
 * Delivers what is left in the outbox: messages whose committing process died before it marked them
 * sent, and messages staged with `stageOutbox`. It claims a batch with a lease (so concurrent relays in
 * other processes never take the same message while the lease runs), publishes each to the transport,
 * and marks sent only what the transport accepted. A message that fails stays claimed until its lease
 * runs out and is tried again then. Delivery is at-least-once; the inbox makes duplicates harmless.
 */
import type { Clock } from '../clock/clock.ts';
import { systemClock } from '../clock/clock.ts';
import type { MessageBus } from '../bus/message-bus.ts';
import type { OutboxMessage, SagaRepository } from '../repository/types.ts';
import { MinHeap } from './min-heap.ts';
import { Instrumentation } from '../telemetry/instrumentation.ts';
import type { TelemetryOptions } from '../telemetry/telemetry-options.ts';

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
          this.#onError(error, message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, claimed.length) }, worker));
    if (sent.length > 0) await this.#repository.markSent(sent);
    return { claimed: claimed.length, sent: sent.length, failed };
  }

  /** Polls until `stop()`: full batches are followed at once by the next pass, an empty one by a pause. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
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
    clearTimeout(this.#alarm);
    this.#nextWake = undefined;
    this.#due.clear();
    this.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let full = false;
      try {
        const pass = await this.runOnce();
        full = pass.claimed === this.#batchSize && pass.failed === 0;
      } catch (error) {
        this.#onError(error);
      }
      if (!full && this.#running && !this.#woken) await this.#pause();
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
