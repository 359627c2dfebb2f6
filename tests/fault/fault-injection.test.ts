/**
 * Fault injection on real processes and a real PostgreSQL, bounded in time. Each scenario runs in a
 * database of its own and checks the tables with SQL (`check.ts`). `npm run reliability` runs the same
 * scenarios larger and writes docs/reliability.md.
 */
import { describe, expect, it } from 'vitest';
import { runConcurrentDelivery } from './concurrent-delivery.ts';
import { runFaultScenario } from './driver.ts';
import { runTerminateScenario } from './terminate-backends.ts';

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

describe('fault injection', () => {
  it(
    'loses and repeats nothing when worker processes are SIGKILLed at random and at the worst moments',
    async () => {
      const report = await runFaultScenario({
        orders: 80,
        workers: 3,
        streamMs: 8_000,
        chaosMs: 14_000,
        killEveryMs: [700, 1_400],
        minRandomKills: 5,
        killOdds: { 'after-commit': 0.02, 'compensation-after-effect': 0.08, 'handler-after-effect': 0.02 },
        duplicates: 12,
        malformedEach: 2,
        settleTimeoutMs: 30_000,
      });
      const context = JSON.stringify({ ...report, options: undefined }, null, 1);
      expect(report.verdict.problems, context).toEqual([]);
      expect(report.lostTotal, context).toBe(0);
      expect(report.settledAfterMs, context).not.toBeNull();
      expect(report.kills.crashes, context).toBe(0);
      expect(report.kills.random + sum(report.kills.byPoint), context).toBeGreaterThanOrEqual(5);
      expect(report.verdict.observed.instances).toBe(80);
      expect(report.verdict.observed.deadLetters).toBeGreaterThanOrEqual(report.malformed.tried);
    },
    90_000,
  );

  it('makes one transition, one history row and one outbox row when the same message is delivered 16 times at once by two orchestrators', async () => {
    const report = await runConcurrentDelivery({ rounds: 4, deliveries: 16 });
    expect(report.problems).toEqual([]);
    expect(report.applied).toBe(4 * 2);
    expect(report.duplicates).toBe(4 * 2 * 15);
    expect(report.historyRowsPerMessage.every((n) => n === 1)).toBe(true);
    expect(report.outboxRowsPerCommand.every((n) => n === 1)).toBe(true);
  }, 30_000);

  it(
    'loses and repeats nothing when PostgreSQL terminates every connection of the database mid-run, again and again',
    async () => {
      const report = await runTerminateScenario({
        orders: 120,
        streamMs: 3_000,
        terminations: 12,
        everyMs: 250,
        duplicates: 10,
        settleTimeoutMs: 30_000,
        // No periodic recover(): this process never crashes, so nothing may be left for it to resume.
        recoverEveryMs: 0,
      });
      const context = JSON.stringify(report, null, 1);
      expect(report.verdict.problems, context).toEqual([]);
      expect(report.lostTotal, context).toBe(0);
      expect(report.settledAfterMs, context).not.toBeNull();
      expect(report.backendsTerminated).toBeGreaterThan(report.rounds);
      expect(report.errorsReported, context).toBeGreaterThan(0); // the terminations did hit work in progress
    },
    60_000,
  );
});
