/**
 * @module bench/postgres
 *
 * The order saga through a real `SagaOrchestrator` persisted by `createPrismaRepository` on PostgreSQL,
 * next to the raw `pg` baseline at the same concurrency, in one run. Fixed workloads: each publisher
 * drives its own orders, one after another, through the saga's four events, and every `publish` is timed.
 *
 * Server: `SAGAFLOW_BENCH_PG_URL`, else `DATABASE_URL`, else postgres@127.0.0.1:5432. The repository's
 * tables go into a fresh schema of their own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { OrderSaga } from '../examples/order-saga.ts';
import { createPrismaRepository, type PrismaRepositoryOptions } from '../src/prisma/create-repository.ts';
import { migrate } from '../src/prisma/migrate.ts';
import { InProcessBus, SagaOrchestrator } from '../src/index.ts';
import { measureRawPgBaseline } from './raw-pg-baseline.ts';
import { orderEvents } from './order-workload.ts';
import { result, type BenchResult } from './report.ts';
import { benchScheduleLag } from './schedules.ts';

export const BENCH_PG_URL =
  process.env.SAGAFLOW_BENCH_PG_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** How the orchestrator's repository is built, beyond the server and schema. */
export type RepositoryVariant = Pick<PrismaRepositoryOptions, 'via' | 'cache' | 'groupCommit'>;

export interface OrchestratorBenchOptions {
  /** Concurrent publishers; each drives its own orders. */
  readonly publishers: number;
  /** Orders in all (4 events each), split evenly between the publishers. */
  readonly orders: number;
  readonly variant?: RepositoryVariant;
  /** Appended to the result's name. */
  readonly label?: string;
  /**
   * Subscribe a no-op consumer to every command the saga sends, so each goes through the outbox: staged
   * with the commit, published, then deleted. Without consumers the in-process bus has nobody to deliver
   * to and nothing is staged.
   */
  readonly consumers?: boolean;
}

/** Whether a PostgreSQL server answers at `url` within two seconds. */
export async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The commands the order saga sends on the happy path. */
const ORDER_COMMANDS = ['ProcessPayment', 'ReserveInventory', 'CreateShipment'] as const;

/** Runs `perPublisher` orders on each publisher; returns every publish's latency in ms. */
async function driveOrders(orchestrator: SagaOrchestrator, prefix: string, publishers: number, perPublisher: number) {
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: publishers }, async (_, p) => {
      for (let o = 0; o < perPublisher; o++) {
        for (const [event, payload] of orderEvents(`${prefix}-${p}-${o}`)) {
          const start = performance.now();
          const outcome = (await orchestrator.publish(event as never, payload as never)).outcomes[0];
          latencies.push(performance.now() - start);
          if (outcome?.result !== 'applied') throw new Error(`${event.name} was not applied: ${JSON.stringify(outcome)}`);
        }
      }
    }),
  );
  return latencies;
}

function percentile(sorted: readonly number[], p: number): number {
  const value = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
  return Math.round(value * 100) / 100;
}

function variantName(variant: RepositoryVariant): string {
  const parts = [`via ${variant.via ?? 'adapter'}`];
  if (variant.groupCommit === false) parts.push('no group commit');
  if (variant.cache === false) parts.push('no cache');
  return parts.join(', ');
}

/**
 * Events per second and per-event latency for the order saga on PostgreSQL (`url` with `schema`
 * migrated), or on an in-memory PGlite when `url` is undefined.
 */
export async function benchOrchestrator(
  url: string | undefined,
  schema: string | undefined,
  options: OrchestratorBenchOptions,
): Promise<BenchResult> {
  const { publishers, variant = {} } = options;
  const perPublisher = Math.max(1, Math.round(options.orders / publishers));
  const repository = url
    ? await createPrismaRepository({ databaseUrl: url, ...(schema && { schema }), poolSize: Math.max(2, publishers), ...variant })
    : await createPrismaRepository({ directory: 'memory://', ...variant });
  const bus = new InProcessBus();
  if (options.consumers) for (const type of ORDER_COMMANDS) bus.subscribe(type, () => {});
  const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository, bus });
  const run = randomBytes(3).toString('hex');
  try {
    // Warm-up: connections, prepared statements, JIT.
    await driveOrders(orchestrator, `warm-${run}`, publishers, Math.max(20, Math.round(perPublisher / 5)));
    await orchestrator.idle();
    if (url) await checkpoint(url);
    const start = performance.now();
    const latencies = await driveOrders(orchestrator, `o-${run}`, publishers, perPublisher);
    await orchestrator.idle(); // outbox deliveries and their deletes belong to the run
    const ms = performance.now() - start;
    latencies.sort((a, b) => a - b);
    const where = (url ? `PostgreSQL, ${variantName(variant)}` : 'PGlite in memory') + (options.consumers ? ', commands consumed via outbox' : '');
    return result(`orchestrator, order saga, ${where} (${publishers} publishers)${options.label ?? ''}`, latencies.length, ms, {
      p50_ms: percentile(latencies, 0.5),
      p99_ms: percentile(latencies, 0.99),
      orders: perPublisher * publishers,
      publishers,
    });
  } finally {
    await orchestrator.close();
    await repository.close();
  }
}

/**
 * Every measured run starts from a fresh checkpoint, as pgbench's do, so that no run pays full-page
 * writes for a checkpoint the writes before it requested. (Slow first rounds once blamed on this were
 * generic plans made on small tables; see `src/prisma/sql.ts`.) Best effort: a role without the
 * privilege just measures without it.
 */
async function checkpoint(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('CHECKPOINT');
  } catch {
    // not allowed (PostgreSQL 15+: superuser or pg_checkpoint) or not reachable: measure anyway
  } finally {
    await client.end().catch(() => {});
  }
}

/** The raw `pg` baseline at `concurrency` for a fixed number of updates, as a `BenchResult`. */
export async function benchRawBaseline(url: string, concurrency: number, operations: number): Promise<BenchResult> {
  await checkpoint(url);
  const r = await measureRawPgBaseline({ connectionString: url, concurrency, operations, warmup: 50 });
  return {
    name: `raw pg: one conditional UPDATE per transaction (${concurrency} clients)`,
    ops: r.operations,
    seconds: Math.round((r.operations / r.ops_per_sec) * 1000) / 1000,
    ops_per_sec: r.ops_per_sec,
    p50_ms: r.p50_ms,
    p99_ms: r.p99_ms,
    clients: concurrency,
  };
}

/** A schema of its own on the server, migrated; `drop()` removes it and everything in it. */
export async function benchSchema(url: string): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `sagaflow_bench_${randomBytes(4).toString('hex')}`;
  await migrate({ connectionString: url, schema });
  return {
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Every repository variant measured at each concurrency: the default first, then the alternatives. */
const VARIANTS: readonly RepositoryVariant[] = [
  {},
  { cache: false },
  { via: 'client' },
  { via: 'client', cache: false },
  { via: 'pg' },
  { groupCommit: false },
];

/**
 * The whole PostgreSQL section of `npm run bench`: raw baseline and orchestrator at 1 and 16 publishers,
 * then PGlite at 1. Prints a note and returns when no server answers.
 */
export async function runPostgresBench(report: (r: BenchResult) => void, note: (line: string) => void): Promise<void> {
  const url = BENCH_PG_URL;
  if (!(await reachable(url))) {
    note(`# PostgreSQL: skipped, no server answers at ${url.replace(/\/\/[^@]*@/, '//')} (set SAGAFLOW_BENCH_PG_URL)`);
    return;
  }
  note('# PostgreSQL (order saga, 4 events per order; each publisher drives its own orders)');
  const { schema, drop } = await benchSchema(url);
  try {
    // Unmeasured: each way of reaching the database runs far slower in a process until its code is warm
    // (JIT; the Prisma client's runtime most of all), which would otherwise be charged to whichever
    // variant happens to run first.
    for (const via of ['adapter', 'client', 'pg'] as const) {
      await benchOrchestrator(url, schema, { publishers: 16, orders: 1600, variant: { via } });
    }
    await benchRawBaseline(url, 16, 4000);
    const ratio = (r: BenchResult, raw: BenchResult) => Math.round((r.ops_per_sec / raw.ops_per_sec) * 100) / 100;
    for (const [publishers, orders] of [
      [1, 400],
      [16, 6000],
    ] as const) {
      const raw = await benchRawBaseline(url, publishers, orders * 4);
      report(raw);
      for (const variant of VARIANTS) {
        const r = await benchOrchestrator(url, schema, { publishers, orders, variant });
        report({ ...r, vs_raw: ratio(r, raw) });
      }
      // The outbox's cost: three of the four events send a command, staged and later deleted.
      const withOutbox = await benchOrchestrator(url, schema, { publishers, orders, consumers: true });
      report({ ...withOutbox, vs_raw: ratio(withOutbox, raw) });
    }
    // The target: the default at 16 publishers against the raw baseline measured right before it. On a
    // small machine the ratio swings with checkpoints (full-page writes hit the saga's indexes far harder
    // than the baseline's one row per client), so: three interleaved rounds, every one printed, and the median.
    const ratios: number[] = [];
    for (let round = 1; round <= 3; round++) {
      const raw = await benchRawBaseline(url, 16, 24_000);
      report({ ...raw, name: `${raw.name}, round ${round}` });
      const r = await benchOrchestrator(url, schema, { publishers: 16, orders: 6000, label: `, round ${round}` });
      ratios.push(ratio(r, raw));
      report({ ...r, vs_raw: ratio(r, raw) });
    }
    const median = [...ratios].sort((a, b) => a - b)[1]!;
    note(`# target: default at 16 publishers >= 0.7x raw; rounds ${ratios.join(', ')}; median ${median}x`);
    const lagRepository = await createPrismaRepository({ databaseUrl: url, schema, poolSize: 16 });
    try {
      report(await benchScheduleLag('PostgreSQL', lagRepository, { rate: 1_000, seconds: 5 }));
    } finally {
      await lagRepository.close();
    }
  } finally {
    await drop();
  }
  note('# PGlite (embedded, in memory: the default without DATABASE_URL)');
  report(await benchOrchestrator(undefined, undefined, { publishers: 1, orders: 300 }));
}
