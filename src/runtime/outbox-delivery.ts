/**
 * @module runtime/outbox-delivery
 * What happens to the messages a transition produced. With the outbox on, `stage` turns them into
 * outbox entries that commit with the instance, a lease ahead, so no relay touches them while this
 * process delivers them itself right after the commit (`deliver`); each is marked sent once the
 * transport accepted it. If the process dies first, the lease runs out and a relay delivers them: no
 * message leaves for a write that did not commit, and none is lost for one that did.
 *
 * With the outbox off, messages are published after the commit and nothing is stored: a crash between
 * the two loses them.
 */
import type { Clock } from '../clock/clock.ts';
import { InProcessBus } from '../bus/in-process-bus.ts';
import type { MessageBus } from '../bus/message-bus.ts';
import type { Envelope } from '../messages/envelope.ts';
import { uuidv7 } from '../messages/uuid-v7.ts';
import type { OutboxEntry, SagaRepository } from '../repository/types.ts';
import { Instrumentation } from '../telemetry/instrumentation.ts';
import { TransientStoreError } from '../errors/transient-store-error.ts';
import { durably, type DurableWriteOptions } from './durable-write.ts';

export interface OutboxOptions {
  /** How long a just-committed message is left to the committing process before relays may take it. Default 30 s. */
  readonly leaseMs?: number;
}

export const DEFAULT_OUTBOX_LEASE_MS = 30_000;

export class OutboxDelivery {
  readonly #bus: MessageBus;
  readonly #repository: SagaRepository;
  readonly #clock: Clock;
  readonly #onError: (error: unknown) => void;
  /** `null`: the outbox is off. */
  readonly #leaseMs: number | null;
  #sent: string[] = [];
  #flushing: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #telemetry: Instrumentation;
  readonly #durable: DurableWriteOptions;

  constructor(options: {
    bus: MessageBus;
    repository: SagaRepository;
    clock: Clock;
    onError: (error: unknown) => void;
    outbox: OutboxOptions | false;
    telemetry?: Instrumentation;
    /** The stop signal and outage tracker for the "sent" marks, retried through an outage. */
    durable?: DurableWriteOptions;
  }) {
    this.#durable = options.durable ?? {};
    this.#telemetry = options.telemetry ?? Instrumentation.off;
    this.#bus = options.bus;
    this.#repository = options.repository;
    this.#clock = options.clock;
    this.#onError = options.onError;
    this.#leaseMs = options.outbox === false ? null : (options.outbox.leaseMs ?? DEFAULT_OUTBOX_LEASE_MS);
  }

  get enabled(): boolean {
    return this.#leaseMs !== null;
  }

  /**
   * Outbox entries for `messages`, to commit with the write that produced them; `undefined` when off or
   * when there is nothing to stage. On the in-process bus a message nobody subscribes to is dropped on
   * publish, so staging it would only write and delete a row.
   */
  stage(messages: readonly Envelope[]): readonly OutboxEntry[] | undefined {
    if (this.#leaseMs === null || messages.length === 0) return undefined;
    const bus = this.#bus;
    const local = bus instanceof InProcessBus ? bus : undefined;
    let entries: OutboxEntry[] | undefined;
    let availableAt: Date | undefined;
    let now = 0;
    for (const envelope of messages) {
      if (local && !local.hasSubscribers(envelope.type)) continue;
      if (availableAt === undefined) {
        now = this.#clock.now();
        availableAt = new Date(now + this.#leaseMs);
      }
      // Stored with the trace it was created in, so whoever delivers it (a relay, later) continues that trace.
      (entries ??= []).push({ id: uuidv7(now), envelope: this.#telemetry.stamp(envelope), availableAt });
    }
    return entries;
  }

  /**
   * Sends what a committed write produced: the staged entries, or (outbox off) the messages. Never
   * awaited by the caller: a handler publishing to its own instance would otherwise wait on itself.
   */
  deliver(messages: readonly Envelope[], staged: readonly OutboxEntry[] | undefined): void {
    if (staged === undefined) {
      if (this.#leaseMs !== null) return; // the outbox is on and nothing was staged: nobody listens
      for (const m of messages) this.#track(this.#publish(m).catch((error: unknown) => this.#failed(error)));
      return;
    }
    for (const entry of staged) {
      this.#track(
        this.#publish(entry.envelope).then(
          () => this.#markSent(entry.id),
          // Left in the outbox: a relay retries it when the lease runs out.
          (error: unknown) => this.#failed(error),
        ),
      );
    }
  }

  /** Hears of schedules this process committed, so a relay can wake up when the first is due. */
  onScheduled: ((entries: readonly OutboxEntry[]) => void) | undefined;

  /** Reports committed schedules (delivered by the relay when due, not now). */
  scheduled(entries: readonly OutboxEntry[]): void {
    this.onScheduled?.(entries);
  }

  /** Something is being delivered or marked sent. */
  get busy(): boolean {
    return this.#inFlight.size > 0 || this.#flushing !== undefined;
  }

  /** Resolves once every delivery started so far has been published and marked sent (or failed). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0 || this.#flushing) {
      await Promise.allSettled([...this.#inFlight]);
      await this.#flushing;
    }
  }

  #publish(envelope: Envelope): Promise<void> {
    const bus = this.#bus;
    // The in-process bus skips the promise machinery when nobody listens.
    if (bus instanceof InProcessBus && !bus.hasSubscribers(envelope.type)) return Promise.resolve();
    return this.#telemetry.send(envelope, bus);
  }

  /** Sent ids are deleted in batches: one statement for everything that finished meanwhile. */
  #markSent(id: string): void {
    this.#sent.push(id);
    this.#flushing ??= this.#flush();
  }

  async #flush(): Promise<void> {
    // Let the deliveries finishing in this turn join the batch.
    await Promise.resolve();
    while (this.#sent.length > 0) {
      const ids = this.#sent;
      this.#sent = [];
      try {
        // Retried through an outage: a mark lost would have a relay deliver every one of them again.
        await durably(() => this.#repository.markSent(ids), this.#durable);
      } catch (error) {
        // Stopping (or not the store's passing fault): still in the outbox, a relay delivers them again
        // after the lease; consumers deduplicate.
        this.#onError(error);
      }
    }
    this.#flushing = undefined;
  }

  /**
   * A delivery that failed: the consumer's store being away is the outage's (reported once, by its
   * tracker), not one error per message; anything else goes to `onError`.
   */
  #failed(error: unknown): void {
    const outage = this.#durable.outage;
    if (outage && error instanceof TransientStoreError && error.unavailable) outage.failed(error);
    else this.#onError(error);
  }

  #track(promise: Promise<void>): void {
    const settled: Promise<void> = promise.finally(() => this.#inFlight.delete(settled));
    this.#inFlight.add(settled);
  }
}
