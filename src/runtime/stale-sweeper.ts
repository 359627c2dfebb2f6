/**
 * @module runtime/stale-sweeper
 * Finds instances nobody has touched for a while (`list({ updatedBefore })`, the monitoring query) and
 * raises an event for each, which the saga handles like any other: a reminder, an escalation, a
 * compensation. HeroMessaging's `WithTimeoutHandling(checkInterval, defaultTimeout)` and `FindStaleAsync`.
 *
 * The event's message id is derived from the instance's id and version, so sweepers in several processes
 * (or two passes before the instance changed) raise it once: the inbox drops the copies.
 */
import type { AnySaga } from '../dsl/saga.ts';
import { createEnvelope } from '../messages/envelope.ts';
import type { EventDefinition } from '../messages/message-definition.ts';
import type { SagaInstanceRecord, SagaStatus } from '../repository/types.ts';
import type { SagaOrchestrator } from './orchestrator.ts';
import { SCHEDULE_SAGA_HEADER } from './schedules.ts';

export interface StaleSweeperOptions {
  readonly orchestrator: SagaOrchestrator;
  readonly saga: AnySaga;
  /** An instance is stale when it was last updated longer ago than this. */
  readonly olderThanMs: number;
  /** Raised for each stale instance whose state handles it; other states are left alone. */
  readonly event: EventDefinition;
  /** The event's payload for an instance. Default `{}`. */
  readonly payload?: (instance: SagaInstanceRecord) => unknown;
  /** Which statuses count. Default `['active']`. */
  readonly statuses?: readonly SagaStatus[];
  /** Between passes when started. Default 60 s. */
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

export interface SweepResult {
  /** Stale instances found. */
  readonly stale: number;
  /** Events applied (an instance that moved on meanwhile is not counted). */
  readonly raised: number;
}

/**
 * @example
 * const sweeper = new StaleSweeper({ orchestrator, saga: OrderSaga, olderThanMs: 3_600_000, event: OrderStalled });
 * sweeper.start();
 */
export class StaleSweeper {
  readonly #o: StaleSweeperOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #pass: Promise<unknown> | undefined;

  constructor(options: StaleSweeperOptions) {
    if (!(options.olderThanMs > 0)) throw new RangeError(`StaleSweeper: olderThanMs must be > 0, got ${options.olderThanMs}`);
    this.#o = options;
  }

  async runOnce(): Promise<SweepResult> {
    const { orchestrator, saga, event } = this.#o;
    const compiled = orchestrator.saga(saga.name);
    if (!compiled) throw new RangeError(`StaleSweeper: saga '${saga.name}' is not registered with the orchestrator`);
    const before = new Date(orchestrator.clock.now() - this.#o.olderThanMs);
    let stale = 0;
    let raised = 0;
    let cursor: string | undefined;
    do {
      const page = await orchestrator.repository.list({
        sagaName: saga.name,
        status: this.#o.statuses ?? ['active'],
        updatedBefore: before,
        order: 'asc',
        limit: 200,
        ...(cursor !== undefined && { cursor }),
      });
      for (const instance of page.items) {
        stale++;
        if (!compiled.table.get(instance.state)?.has(event.name)) continue;
        const envelope = createEnvelope(
          'event',
          event.name,
          event.parse(this.#o.payload?.(instance) ?? {}),
          {
            correlationId: instance.correlationId,
            messageId: `stale:${instance.id}:${instance.version}`,
            headers: { [SCHEDULE_SAGA_HEADER]: saga.name },
          },
          new Date(orchestrator.clock.now()),
        );
        try {
          const result = await orchestrator.dispatch(envelope);
          if (result.outcomes.some((o) => o.result === 'applied')) raised++;
        } catch (error) {
          (this.#o.onError ?? ((e) => console.error('[sagaflow] stale sweeper:', e)))(error);
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return { stale, raised };
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#pass ??= this.runOnce()
        .catch((error: unknown) => (this.#o.onError ?? console.error)(error))
        .finally(() => (this.#pass = undefined));
    }, this.#o.intervalMs ?? 60_000);
    this.#timer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#pass;
  }
}
