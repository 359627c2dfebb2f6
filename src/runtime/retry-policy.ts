/**
 * @module runtime/retry-policy
 * Two kinds of retry, with separate budgets, because they fail for different reasons:
 * - conflicts (a version race, a serialization failure, a deadlock, a dropped connection) are the
 *   store's business: retried quickly with full jitter, so writers that collided do not collide again
 *   in lockstep;
 * - a failing action or compensation step is the application's: retried by a `RetryPolicy` — a few
 *   immediate retries, then exponential backoff with jitter.
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

/**
 * How a failing action (or compensation step) is retried: `immediateRetries` at once, the rest after
 * `initialDelayMs`, doubling up to `maxDelayMs`, each delay spread by ±`jitterFactor`.
 *
 * @example
 * // 1 immediate retry, then 100 ms, 200 ms, 400 ms (±20 %)
 * const retry: RetryPolicy = { maxRetries: 4, immediateRetries: 1, initialDelayMs: 100, maxDelayMs: 5_000, jitterFactor: 0.2 };
 */
export interface RetryPolicy {
  /** Retries after the first attempt, immediate ones included. 0 turns retrying off. */
  readonly maxRetries: number;
  /** How many of the retries go at once, before any delay. Default 0. */
  readonly immediateRetries?: number;
  /** The first delay, in ms. Default 100. */
  readonly initialDelayMs?: number;
  /** No delay is longer, in ms. Default 30 000. */
  readonly maxDelayMs?: number;
  /** Each delay is scaled by a random factor in [1 − j, 1 + j]. Default 0.2. */
  readonly jitterFactor?: number;
}

/** Off: the first failure is final. Retrying an action is a choice, since actions may have effects. */
export const NO_RETRY: RetryPolicy = Object.freeze({ maxRetries: 0 });

/**
 * The delay in ms before retry number `retry` (1-based), or `null` when the policy has no retries left.
 */
export function retryDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number | null {
  if (retry > policy.maxRetries) return null;
  const immediate = policy.immediateRetries ?? 0;
  if (retry <= immediate) return 0;
  const initial = policy.initialDelayMs ?? 100;
  const max = policy.maxDelayMs ?? 30_000;
  const jitter = Math.min(1, Math.max(0, policy.jitterFactor ?? 0.2));
  const base = Math.min(max, initial * 2 ** (retry - immediate - 1));
  return Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * random())));
}

/** What is wrong with a policy (negative or fractional counts, bad factors), or `null`. */
export function retryPolicyProblem(policy: RetryPolicy): string | null {
  if (typeof policy !== 'object' || policy === null) return 'retry must be an object like { maxRetries: 3 }';
  for (const name of ['maxRetries', 'immediateRetries'] as const) {
    const value = policy[name];
    if ((value !== undefined || name === 'maxRetries') && !(Number.isInteger(value) && value! >= 0)) {
      return `retry.${name} must be a non-negative integer, got ${String(value)}`;
    }
  }
  for (const name of ['initialDelayMs', 'maxDelayMs'] as const) {
    const value = policy[name];
    if (value !== undefined && !(value >= 0)) return `retry.${name} must be ≥ 0, got ${value}`;
  }
  const j = policy.jitterFactor;
  if (j !== undefined && !(j >= 0 && j <= 1)) return `retry.jitterFactor must be in [0, 1], got ${j}`;
  return null;
}

export function sleep(ms: number): Promise<void> {
  // Even a zero delay yields a macrotask, so whatever collided can finish first.
  return new Promise((resolve) => setTimeout(resolve, ms));
}
