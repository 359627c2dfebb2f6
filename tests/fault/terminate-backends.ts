/**
 * @module tests/fault/terminate-backends
 *
 * PostgreSQL drops the orchestrator's connections mid-run: a stream of orders flows through one worker
 * (in this process, no kill points) while another connection runs `pg_terminate_backend` on every other
 * backend of the database, several times. Commits, claims, lookups and the services' own statements
 * fail with a lost connection at whatever moment that lands; the orchestrator must retry or leave the
 * message for redelivery, and in the end the same checks as the kill scenario must hold.
 */
import pg from 'pg';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { checkScenario, totalLost, type Verdict } from './check.ts';
import { orderStream, sleep, waitUntilSettled } from './driver.ts';
import { EffectsStore } from './effects.ts';
import { startFaultWorker } from './fault-worker.ts';

export interface TerminateScenarioOptions {
  readonly orders: number;
  /** Orders fall due over this window, in ms. */
  readonly streamMs: number;
  /** How many times every backend is terminated, one round every `everyMs`. */
  readonly terminations: number;
  readonly everyMs: number;
  readonly duplicates: number;
  readonly settleTimeoutMs: number;
  /** The worker's periodic `recover()`, in ms; 0 for none. Default 2000. */
  readonly recoverEveryMs?: number;
  readonly instanceCache?: boolean;
  readonly log?: (line: string) => void;
}

export interface TerminateScenarioReport {
  readonly orders: number;
  readonly rounds: number;
  /** Backends `pg_terminate_backend` ended, over all rounds. */
  readonly backendsTerminated: number;
  /** Errors the orchestrator reported to `onError` (deliveries and relay passes that failed and were left for later). */
  readonly errorsReported: number;
  /** Compensations the periodic `recover()` had to resume in a process that never crashed. */
  readonly recoveredPeriodically: number;
  readonly settledAfterMs: number | null;
  readonly verdict: Verdict;
  readonly lostTotal: number;
  readonly errorSamples: readonly string[];
}

/**
 * @example
 * const report = await runTerminateScenario({ orders: 40, streamMs: 3_000, terminations: 6, everyMs: 500,
 *   duplicates: 6, settleTimeoutMs: 20_000 });
 * report.lostTotal; // 0
 */
export async function runTerminateScenario(options: TerminateScenarioOptions): Promise<TerminateScenarioReport> {
  const log = options.log ?? (() => {});
  const db = await createTestDatabase();
  // The terminator, and the poller: it never terminates itself (pid <> pg_backend_pid()).
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  const errorSamples: string[] = [];
  let worker: Awaited<ReturnType<typeof startFaultWorker>> | undefined;
  try {
    await EffectsStore.createTable(db.url);
    const started = Date.now();
    const stream = orderStream(options.orders, started, options.streamMs, options.duplicates);
    const staging = await createPrismaRepository({ databaseUrl: db.url, cache: false, poolSize: 1 });
    await staging.stageOutbox(stream.entries);
    await staging.close();

    worker = await startFaultWorker({
      databaseUrl: db.url,
      ...(options.recoverEveryMs !== undefined && { recoverEveryMs: options.recoverEveryMs }),
      ...(options.instanceCache !== undefined && { instanceCache: options.instanceCache }),
      onError: (error) => {
        if (errorSamples.length < 10) errorSamples.push(error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error));
      },
    });

    let backendsTerminated = 0;
    for (let round = 0; round < options.terminations; round++) {
      await sleep(options.everyMs);
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (
           SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()
         ) AS terminated`,
      );
      backendsTerminated += rows[0]!.n;
      log(`round ${round + 1}: terminated ${rows[0]!.n} backends`);
    }
    const end = Date.now();
    const settled = await waitUntilSettled(admin, options.orders, options.settleTimeoutMs, log);
    const settledAfterMs = settled ? Date.now() - end : null;
    const stats = { ...worker.stats };
    await worker.stop();
    worker = undefined;
    const verdict = await checkScenario(admin, stream.orders, []);
    return {
      orders: options.orders,
      rounds: options.terminations,
      backendsTerminated,
      errorsReported: stats.errors,
      recoveredPeriodically: stats.recovered,
      settledAfterMs,
      verdict,
      lostTotal: totalLost(verdict.lost),
      errorSamples,
    };
  } finally {
    await worker?.stop();
    await admin.end();
    await db.drop();
  }
}
