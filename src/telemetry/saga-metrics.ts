/**
 * @module telemetry/saga-metrics
 * The counters and the duration histogram. Attribute sets are few (sagas × types × outcomes) and every
 * event needs one, so each is built once and kept: recording a measurement allocates nothing.
 */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { SagaflowAttributes as A, SagaflowMetrics as M, type ProcessOutcome } from './names.ts';
import type { Processed } from './span-attributes.ts';

/** Bucket bounds for processing times, in seconds: an in-memory event takes microseconds, a stored one milliseconds. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type RetryReason = 'conflict' | 'transient' | 'action';

export class SagaMetrics {
  readonly #processed: Counter;
  readonly #conflicts: Counter;
  readonly #retries: Counter;
  readonly #deadLetters: Counter;
  readonly #compensations: Counter;
  readonly #duration: Histogram;
  /** saga → type → outcome → attributes. */
  readonly #sets = new Map<string, Map<string, Map<string, Attributes>>>();

  constructor(meter: Meter) {
    this.#processed = meter.createCounter(M.EventsProcessed, { description: 'Messages handled by saga, type and outcome', unit: '{message}' });
    this.#conflicts = meter.createCounter(M.Conflicts, { description: 'Conditional writes that lost a race and were retried', unit: '{conflict}' });
    this.#retries = meter.createCounter(M.Retries, { description: 'Attempts at an event scheduled again', unit: '{retry}' });
    this.#deadLetters = meter.createCounter(M.DeadLetters, { description: 'Messages stored as dead letters', unit: '{message}' });
    this.#compensations = meter.createCounter(M.Compensations, { description: 'Compensation runs by outcome', unit: '{run}' });
    this.#duration = meter.createHistogram(M.ProcessDuration, {
      description: 'Time from taking a message to its outcome',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    });
  }

  /** What taking one message ended in (`result`), or the error it threw; `ms` since it was taken. */
  result(type: string, result: Processed | undefined, error: unknown, ms: number): void {
    const seconds = ms / 1000;
    if (result === undefined) return this.processed(sagaOf(error), type, 'failed', seconds);
    if ('status' in result && result.status === 'dead-lettered') {
      return this.processed(result.deadLetter.sagaName ?? undefined, type, 'dead-lettered', seconds);
    }
    const dispatched = 'status' in result ? result.result : result;
    if (dispatched.outcomes.length === 0) return this.processed(undefined, type, 'ignored', seconds);
    for (const o of dispatched.outcomes) this.processed(o.saga, type, o.result, seconds);
  }

  /** One message's outcome for one saga (`saga` undefined when no saga was reached). */
  processed(saga: string | undefined, type: string, outcome: ProcessOutcome, seconds: number): void {
    const attributes = this.#attributes(saga ?? '', type, outcome);
    this.#processed.add(1, attributes);
    this.#duration.record(seconds, attributes);
  }

  conflict(saga: string, type: string): void {
    this.#conflicts.add(1, this.#attributes(saga, type, ''));
  }

  retry(saga: string, type: string, reason: RetryReason): void {
    this.#retries.add(1, this.#attributes(saga, type, reason));
  }

  deadLettered(saga: string | null, type: string, reason: string): void {
    // Rare, and its reason is not an outcome: no cache.
    this.#deadLetters.add(1, {
      [A.DeadLetterReason]: reason,
      [A.MessagingDestination]: type,
      ...(saga !== null && { [A.SagaName]: saga }),
    });
  }

  compensation(saga: string, outcome: 'completed' | 'failed'): void {
    this.#compensations.add(1, { [A.SagaName]: saga, [A.Outcome]: outcome });
  }

  /** The cached set; `third` is an outcome or a retry reason ('' for none). */
  #attributes(saga: string, type: string, third: string): Attributes {
    let byType = this.#sets.get(saga);
    if (byType === undefined) this.#sets.set(saga, (byType = new Map()));
    let byThird = byType.get(type);
    if (byThird === undefined) byType.set(type, (byThird = new Map()));
    let set = byThird.get(third);
    if (set === undefined) {
      const s: Record<string, string> = { [A.MessagingDestination]: type };
      if (saga !== '') s[A.SagaName] = saga;
      if (third === 'conflict' || third === 'transient' || third === 'action') s[A.RetryReason] = third;
      else if (third !== '') s[A.Outcome] = third;
      set = Object.freeze(s);
      byThird.set(third, set);
    }
    return set;
  }
}

function sagaOf(error: unknown): string | undefined {
  const e = (error instanceof AggregateError ? error.errors[0] : error) as { sagaName?: unknown } | null | undefined;
  return typeof e?.sagaName === 'string' ? e.sagaName : undefined;
}
