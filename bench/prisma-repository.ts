/**
 * @module bench/prisma-repository
 *
 * `PrismaSagaRepository.commit` under the same load shape as the raw baseline: each worker owns one
 * instance and commits version after version (conditional update + history row, one statement).
 */
import { randomUUID } from 'node:crypto';
import { createPrismaRepository } from '../src/prisma/create-repository.ts';
import { migrate } from '../src/prisma/migrate.ts';
import type { HistoryRecord, SagaInstanceRecord } from '../src/repository/types.ts';
import { runLoad, type LoadOptions, type LoadResult } from './measure.ts';
import { BENCH_DATA } from './raw-pg-baseline.ts';

export interface RepositoryBenchOptions extends LoadOptions {
  /** PostgreSQL server (migrated first if needed); leave out to measure an in-memory PGlite. */
  readonly connectionString?: string;
  /** Server path: through the Prisma client (default, as `createPrismaRepository`) or straight through `pg`. */
  readonly via?: 'adapter' | 'client' | 'pg';
  /** Group commit (default on, as `createPrismaRepository`). */
  readonly groupCommit?: boolean;
}

const SAGA = 'sagaflow-bench';

function history(instance: SagaInstanceRecord, stateBefore: string | null): HistoryRecord {
  return {
    instanceId: instance.id,
    sequence: instance.version,
    messageId: randomUUID(),
    eventType: 'bench.tick',
    stateBefore,
    stateAfter: instance.state,
    payload: { n: instance.version },
    at: instance.updatedAt,
  };
}

/**
 * @example
 * const r = await measureRepositoryCommits({ connectionString: process.env.DATABASE_URL!, concurrency: 16 });
 */
export async function measureRepositoryCommits(options: RepositoryBenchOptions): Promise<LoadResult> {
  const { connectionString } = options;
  if (connectionString) await migrate({ connectionString });
  const repository = connectionString
    ? await createPrismaRepository({
        databaseUrl: connectionString,
        poolSize: options.concurrency,
        via: options.via ?? 'adapter',
        ...(options.groupCommit === false && { groupCommit: false as const }),
      })
    : await createPrismaRepository({ directory: 'memory://' });
  const current: SagaInstanceRecord[] = [];
  try {
    for (let w = 0; w < options.concurrency; w++) {
      const now = new Date();
      const instance: SagaInstanceRecord = {
        id: randomUUID(),
        sagaName: SAGA,
        correlationId: randomUUID(),
        state: 'S0',
        data: BENCH_DATA,
        dataVersion: 1,
        version: 1,
        status: 'active',
        compensation: [],
        error: null,
        createdAt: now,
        updatedAt: now,
        completedAt: null,
      };
      await repository.commit({ kind: 'insert', instance, history: history(instance, null) });
      current.push(instance);
    }
    return await runLoad(options, async (w) => {
      const from = current[w]!;
      const next: SagaInstanceRecord = {
        ...from,
        state: from.state === 'S0' ? 'S1' : 'S0',
        version: from.version + 1,
        updatedAt: new Date(),
      };
      await repository.commit({
        kind: 'update',
        instance: next,
        expectedVersion: from.version,
        history: history(next, from.state),
      });
      current[w] = next;
    });
  } finally {
    for (const instance of current) {
      await repository.commit({ kind: 'delete', instance, expectedVersion: instance.version }).catch(() => {});
    }
    await repository.close();
  }
}
