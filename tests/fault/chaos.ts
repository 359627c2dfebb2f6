/**
 * @module tests/fault/chaos
 *
 * Kill points inside a worker process: at the moments where a crash is most likely to lose or repeat
 * something, the process SIGKILLs itself with a set probability, until a deadline. Before dying it writes
 * one line naming the point to stdout (a pipe, which Node.js writes synchronously), which the driver
 * counts.
 */
import { writeSync } from 'node:fs';
import { delegate } from '../helpers/faulty-repository.ts';
import type { SagaCommit, SagaRepository } from '../../src/repository/types.ts';

export const KillPoint = Object.freeze({
  /** A commit that staged outbox rows has returned; the messages have not been delivered yet. */
  AfterCommit: 'after-commit',
  /** A compensation step recorded its effect; the step has not been popped from the stack yet. */
  CompensationAfterEffect: 'compensation-after-effect',
  /** A service recorded a command's effect; it has not staged its reply yet. */
  HandlerAfterEffect: 'handler-after-effect',
} as const);
export type KillPoint = (typeof KillPoint)[keyof typeof KillPoint];

export const KILL_POINTS: readonly KillPoint[] = Object.values(KillPoint);

/** The line a worker writes before killing itself, followed by JSON `{ point, pid }`. */
export const KILL_MARK = 'FAULT-KILL ';
/** The line a worker writes once it processes messages, followed by its pid and JSON `{ recoveredAtStart }`. */
export const READY_MARK = 'FAULT-READY ';
/** The line a worker writes after a clean stop, followed by JSON `FaultWorkerStats`. */
export const STATS_MARK = 'FAULT-STATS ';

export type KillOdds = Partial<Record<KillPoint, number>>;

export class Chaos {
  /** No kill points: for workers in the test process. */
  static readonly none = new Chaos({}, 0);

  readonly #odds: KillOdds;
  readonly #until: number;

  /** `odds[point]` in [0, 1]; nothing happens at or after `until` (epoch ms). */
  constructor(odds: KillOdds, until: number) {
    this.#odds = odds;
    this.#until = until;
  }

  /** Maybe dies here. */
  point(point: KillPoint): void {
    const odds = this.#odds[point] ?? 0;
    if (odds <= 0 || Date.now() >= this.#until || Math.random() >= odds) return;
    writeSync(1, `${KILL_MARK}${JSON.stringify({ point, pid: process.pid })}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

/** `inner`, with the kill point between a commit that staged messages and their delivery. */
export function killingRepository(inner: SagaRepository, chaos: Chaos): SagaRepository {
  return {
    ...delegate(inner),
    async commit(commit: SagaCommit): Promise<void> {
      await inner.commit(commit);
      if (commit.outbox !== undefined && commit.outbox.length > 0) chaos.point(KillPoint.AfterCommit);
    },
  };
}
