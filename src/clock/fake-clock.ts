/**
 * @module clock/fake-clock
 * A manual clock for deterministic tests, after .NET's FakeTimeProvider: time stands still until the
 * test moves it.
 */
import type { Clock } from './clock.ts';

/**
 * @example
 * const clock = new FakeClock(new Date('2025-10-27T10:00:00Z'));
 * clock.advance(2 * 60 * 60 * 1000); // two hours later
 */
export class FakeClock implements Clock {
  #now: number;

  constructor(start: Date | number = Date.UTC(2025, 0, 1)) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward; a negative step is a mistake in the test. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: step must be >= 0, got ${ms}`);
    this.#now += ms;
  }

  set(to: Date | number): void {
    this.#now = typeof to === 'number' ? to : to.getTime();
  }
}
