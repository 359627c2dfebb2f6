/**
 * @module runtime/dead-letters
 * The operator's side of the dead-letter store: list, inspect, replay and discard. A replay dispatches
 * the stored envelope again; on success the letter is removed, on failure it stays with the new error
 * and its `replays` count grows. Sagas that had already applied the message see a duplicate, so a
 * replay never applies anything twice.
 */
import type { Clock } from '../clock/clock.ts';
import { SagaflowError } from '../errors/sagaflow-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import { uuidv7 } from '../messages/uuid-v7.ts';
import type { DeadLetter, DeadLetterQuery, DeadLetterReason, Page, SagaRepository } from '../repository/types.ts';
import { failedAt } from './dead-letter-reason.ts';
import { storableText } from '../core/storable.ts';
import { boundedLetterValue } from './bounded-letter.ts';
import type { DispatchResult } from './outcome.ts';

export const DEAD_LETTER_NOT_FOUND = 'SAGA_DEAD_LETTER_NOT_FOUND';

export class DeadLetters {
  readonly #repository: SagaRepository;
  readonly #clock: Clock;
  readonly #dispatch: (envelope: Envelope) => Promise<DispatchResult>;

  readonly #maxBytes: number;

  /** `maxBytes`: the most of a payload (or raw text) a letter keeps; larger ones are kept truncated. */
  constructor(repository: SagaRepository, clock: Clock, dispatch: (envelope: Envelope) => Promise<DispatchResult>, maxBytes = Number.POSITIVE_INFINITY) {
    this.#maxBytes = maxBytes;
    this.#repository = repository;
    this.#clock = clock;
    this.#dispatch = dispatch;
  }

  list(query?: DeadLetterQuery): Promise<Page<DeadLetter>> {
    return this.#repository.listDeadLetters(query);
  }

  get(id: string): Promise<DeadLetter | null> {
    return this.#repository.getDeadLetter(id);
  }

  /**
   * Dispatches the letter's envelope again (after a fix: a new saga version, a repaired instance).
   * Resolves with what it did and removes the letter; rejects with the new error and keeps it.
   *
   * @throws SagaflowError `SAGA_DEAD_LETTER_NOT_FOUND`, or whatever the dispatch threw
   */
  async replay(id: string): Promise<DispatchResult> {
    const letter = await this.#repository.getDeadLetter(id);
    if (!letter) throw new SagaflowError(DEAD_LETTER_NOT_FOUND, `no dead letter '${id}'`);
    try {
      // dispatch() reads and checks the stored value itself: one that is no envelope throws EnvelopeError.
      const result = await this.#dispatch(letter.envelope as Envelope);
      await this.#repository.deleteDeadLetter(id);
      return result;
    } catch (error) {
      await this.#repository.updateDeadLetter(id, {
        errorCode: codeOf(error),
        errorMessage: storableText(messageOf(error)),
        at: new Date(this.#clock.now()),
      });
      throw error;
    }
  }

  /** Removes a letter for good. False when there was none. */
  discard(id: string): Promise<boolean> {
    return this.#repository.deleteDeadLetter(id);
  }

  /** The dead letter for input that failed with `error`. */
  letterFor(stored: unknown, envelope: Envelope | undefined, reason: DeadLetterReason, error: unknown): DeadLetter {
    const now = this.#clock.now();
    const at = new Date(now);
    const where = failedAt(error);
    const text = (value: unknown) => (typeof value === 'string' ? (storable(value) as string) : null);
    // A malformed envelope may still name itself: keep what it says, for filtering.
    const named = (stored !== null && typeof stored === 'object' ? stored : {}) as { messageId?: unknown; type?: unknown; correlationId?: unknown };
    return {
      id: uuidv7(now),
      reason,
      errorCode: codeOf(error),
      errorMessage: text(messageOf(error))!,
      // Never more than the limit: an oversized payload is kept truncated, with its size and SHA-256.
      envelope: boundedLetterValue(storable(stored), this.#maxBytes),
      messageId: text(envelope?.messageId ?? named.messageId),
      messageType: text(envelope?.type ?? named.type),
      sagaName: text(where.sagaName),
      correlationId: text(where.correlationId ?? envelope?.correlationId ?? named.correlationId),
      instanceId: where.instanceId,
      replays: 0,
      createdAt: at,
      updatedAt: at,
    };
  }
}

function codeOf(error: unknown): string {
  if (error instanceof SagaflowError) return error.code;
  if (error instanceof AggregateError) return codeOf(error.errors[0]);
  return error instanceof Error ? error.name : 'UNKNOWN';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The value with every string and key made storable (`storableText`), so that a hostile message can
 * always be kept as evidence.
 */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v)]));
  }
  return value;
}
