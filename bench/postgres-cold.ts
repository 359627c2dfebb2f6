/**
 * @module bench/postgres-cold
 *
 * The cold workload on PostgreSQL (see `bench/cold-workload.ts`): closed loop for throughput, open loop
 * at a fixed rate for latency. The repository is `createPrismaRepository` with its default options (group
 * commit, a 10,000-instance cache), as an application would open it.
 */
import pg from 'pg';
import { createPrismaRepository } from '../src/prisma/create-repository.ts';
import { SagaOrchestrator } from '../src/index.ts';
import { AccountSaga } from './account-saga.ts';
import { closedLoop, depositToRandom, random } from './cold-workload.ts';
import { openLoop, type OpenLoopResult } from './open-loop.ts';
import { result, type BenchResult } from './report.ts';
import { ServerCounters } from './server-counters.ts';

export interface ColdOptions {
  /** Live instances in the database (accounts 0 … accounts-1). */
  readonly accounts: number;
  readonly seconds: number;
  readonly seed: number;
}

/** Opens the default repository and an orchestrator for the account saga; `close` ends both. */
async function openAccounts(url: string) {
  const repository = await createPrismaRepository({ databaseUrl: url });
  const orchestrator = new SagaOrchestrator({ sagas: [AccountSaga], repository });
  return {
    orchestrator,
    close: async () => {
      await orchestrator.close();
      await repository.close();
    },
  };
}

/** Closed loop: `publishers` each send events to random existing accounts, back to back. */
export async function benchCold(url: string, publishers: number, options: ColdOptions): Promise<BenchResult> {
  const { orchestrator, close } = await openAccounts(url);
  const counters = await ServerCounters.open(url);
  const next = random(options.seed);
  try {
    // Warm-up: connections, prepared statements, JIT.
    await closedLoop(publishers, 1500, () => depositToRandom(orchestrator, options.accounts, next));
    await checkpoint(url);
    await counters.start();
    const run = await closedLoop(publishers, options.seconds * 1000, () => depositToRandom(orchestrator, options.accounts, next));
    const cost = await counters.stop(run.events);
    run.latencies.sort((a, b) => a - b);
    return result(`postgres cold ${publishers}`, run.events, run.ms, {
      p50_ms: percentile(run.latencies, 0.5),
      p99_ms: percentile(run.latencies, 0.99),
      publishers,
      live_instances: options.accounts,
      ...cost,
    });
  } finally {
    await counters.close();
    await close();
  }
}

/** Open loop at `rate` events/s to random existing accounts, `seconds` measured after a 3 s warm-up. */
export async function openLoopCold(url: string, rate: number, options: ColdOptions): Promise<OpenLoopResult> {
  const { orchestrator, close } = await openAccounts(url);
  const next = random(options.seed);
  try {
    await checkpoint(url);
    return await openLoop({ rate, seconds: options.seconds }, () => depositToRandom(orchestrator, options.accounts, next));
  } finally {
    await close();
  }
}

/** As pgbench does before each run: no run pays for full-page writes a previous one's checkpoint requested. */
export async function checkpoint(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('CHECKPOINT');
  } catch {
    // not allowed for this role: measure anyway
  } finally {
    await client.end().catch(() => {});
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 100) / 100;
}
