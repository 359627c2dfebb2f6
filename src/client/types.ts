/**
 * @module client/types
 *
 * The shapes the ingress answers with, as plain TypeScript: the client (`sagaflow/client`) and the
 * server (`http/ingress-schemas`, whose zod schemas are checked against these by the compiler) share
 * them, and this file imports nothing, so the client stays free of zod, hono and Node.
 */

/**
 * What publishing one event did, over every saga that handles its type:
 * - `handled`: at least one saga applied it (a transition, a new instance);
 * - `duplicate`: no saga applied it, and some saga had already applied this message id (a redelivery);
 * - `ignored`: every saga that handles the type ignored it (no instance and it cannot start one, an
 *   `ignore()` in the state, a policy that ignores unhandled events).
 */
export type PublishOutcome = 'handled' | 'duplicate' | 'ignored';

/** What one saga did with the event. */
export interface SagaResult {
  readonly saga: string;
  /** The instance's correlation id; `null` when an ignored event had none. */
  readonly correlationId: string | null;
  readonly result: 'applied' | 'duplicate' | 'ignored';
  /** The instance it applied to (or had applied to); `null` when there is none. */
  readonly instanceId: string | null;
  /** `applied`: the state after the event. `ignored`: the state it was ignored in, if any. */
  readonly state: string | null;
  /** `applied`: the instance's status after the event (`active`, `completed`, …). */
  readonly status: string | null;
  /** `applied`: whether this event created the instance. */
  readonly created: boolean | null;
  /** `ignored`: why (`missing-instance`, `unhandled`, `ignored`, …). */
  readonly reason: string | null;
}

/** The answer of `POST /api/ingress/events` (and each successful item of a batch). */
export interface PublishResult {
  readonly outcome: PublishOutcome;
  /** The message id the event was published under: the one given, or a new one (keep it to retry safely). */
  readonly messageId: string;
  readonly type: string;
  readonly sagas: readonly SagaResult[];
}

/** The error member of every problem answer (the API's shape before problem+json, kept). */
export interface ProblemError {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

/** One item of `POST /api/ingress/events/batch`'s answer, at the index it had in the request. */
export type BatchItemResult = (PublishResult & { readonly index: number }) | { readonly index: number; readonly error: ProblemError };

/** The answer of `POST /api/ingress/events/batch`: one entry per event, in order. */
export interface BatchResult {
  readonly results: readonly BatchItemResult[];
}

/** One event to publish through the ingress. */
export interface IngressEventInput {
  readonly type: string;
  readonly payload: unknown;
  /** The saga instance's correlation id; may be left out when the saga correlates from the payload. */
  readonly correlationId?: string;
  /** For idempotency: a retry with the same message id is a `duplicate`, never a second transition. */
  readonly messageId?: string;
}
