/**
 * @module runtime/retry-policy
 * Backoff for version conflicts: exponential with full jitter, so that writers that collided do not
 * collide again in lockstep.
 */
export interface ConflictRetryPolicy {
  /** Attempts in all, the first included. Default 12. */
  readonly maxAttempts: number;
  /** Upper bound of the first backoff, in ms. Default 1. */
  readonly baseDelayMs: number;
  /** Upper bound of any backoff, in ms. Default 100. */
  readonly maxDelayMs: number;
}

export const DEFAULT_CONFLICT_RETRY: ConflictRetryPolicy = Object.freeze({ maxAttempts: 12, baseDelayMs: 1, maxDelayMs: 100 });

/** The delay before attempt `attempt + 1`. */
export function conflictBackoff(policy: ConflictRetryPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
