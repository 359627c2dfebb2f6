/**
 * @module clock/clock
 * Every time Sagaflow reads (timestamps, staleness, schedules) comes from an injectable clock, so tests
 * can run on a `FakeClock` and never sleep.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Wall-clock time. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
