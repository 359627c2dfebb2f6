/**
 * @module runtime/observers
 * Hooks for logs and metrics. Observers see instances after their writes committed (or an event after it
 * failed); an observer that throws is reported through `onError` and never affects processing.
 */
import type { DeadLetter } from '../repository/types.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { SagaInstanceRecord } from '../repository/types.ts';

export interface TransitionInfo {
  readonly saga: string;
  readonly instance: SagaInstanceRecord;
  readonly from: string | null;
  readonly to: string;
  readonly envelope: Envelope;
}

export interface SagaObserver {
  /** An event created an instance. */
  created?(info: TransitionInfo): void;
  /** An event was applied to an instance (including the one that created it). */
  transitioned?(info: TransitionInfo): void;
  /** An instance entered a final state (status `completed` or, after compensating, `faulted`). */
  completed?(info: { readonly saga: string; readonly instance: SagaInstanceRecord }): void;
  /** Handling an event failed; nothing was written. */
  faulted?(info: {
    readonly saga: string;
    readonly correlationId: string | undefined;
    readonly envelope: Envelope;
    readonly error: unknown;
  }): void;
  /** A compensation run unwound the whole stack. */
  compensated?(info: { readonly saga: string; readonly instance: SagaInstanceRecord; readonly steps: number }): void;
  /** A compensation step threw; the instance is in `compensation_failed`. */
  compensationFailed?(info: {
    readonly saga: string;
    readonly instance: SagaInstanceRecord;
    readonly step: string;
    readonly error: unknown;
  }): void;
  /** A received message could never succeed (or ran out of retries) and was stored as a dead letter. */
  deadLettered?(info: { readonly deadLetter: DeadLetter; readonly error: unknown }): void;
}

type Hook = keyof SagaObserver;

export class ObserverSet {
  readonly #observers: readonly SagaObserver[];
  readonly #onError: (error: unknown) => void;

  constructor(observers: readonly SagaObserver[], onError: (error: unknown) => void) {
    this.#observers = observers;
    this.#onError = onError;
  }

  get empty(): boolean {
    return this.#observers.length === 0;
  }

  notify<H extends Hook>(hook: H, info: Parameters<NonNullable<SagaObserver[H]>>[0]): void {
    for (const o of this.#observers) {
      const fn = o[hook] as ((i: typeof info) => void) | undefined;
      if (!fn) continue;
      try {
        fn.call(o, info);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
