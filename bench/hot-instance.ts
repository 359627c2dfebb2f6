/**
 * @module bench/hot-instance
 *
 * The hot-instance workload: several processes each send all their events for ONE saga instance at once,
 * with default options (`bench/hot-instance-worker.ts`). It measures what contention on one row costs and
 * checks that it degrades to queueing, not to failure. `npm run bench -- --only hot` runs it on a fresh
 * database of its own, dropped at the end; `tests/prisma/hot-instance.test.ts` asserts on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { DONE_MARK, READY_MARK, type HotWorkerReport } from './hot-instance-saga.ts';
import { freshDatabase } from './fresh-database.ts';
import { BENCH_PG_URL, reachable } from './postgres.ts';
import { result, type BenchResult } from './report.ts';

const WORKER = fileURLToPath(new URL('./hot-instance-worker.ts', import.meta.url));

export interface HotInstanceRun {
  readonly reports: readonly HotWorkerReport[];
  /** From the go signal to the last worker's report, in ms. */
  readonly ms: number;
}

/** Spawns `processes` workers on `url`, lets them all go at once, and collects their reports. */
export async function runHotInstance(url: string, options: { processes: number; events: number; correlationId: string }): Promise<HotInstanceRun> {
  const children: ChildProcess[] = [];
  try {
    const started = Array.from({ length: options.processes }, (_, worker) => {
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
        env: {
          ...process.env,
          HOT_DATABASE_URL: url,
          HOT_CORRELATION_ID: options.correlationId,
          HOT_WORKER: String(worker),
          HOT_EVENTS: String(options.events),
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      children.push(child);
      let out = '';
      let onReady!: () => void;
      const ready = new Promise<void>((resolve) => (onReady = resolve));
      const done = new Promise<HotWorkerReport>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes(READY_MARK)) onReady();
          const line = out.split('\n').find((l) => l.startsWith(DONE_MARK));
          if (line) resolve(JSON.parse(line.slice(DONE_MARK.length)) as HotWorkerReport);
        });
        child.once('exit', (code) => reject(new Error(`hot-instance worker ${worker} exited (${code}) before reporting`)));
      });
      done.catch(() => {}); // awaited below; a worker that dies before the go signal must not go unhandled
      return { child, ready, done };
    });
    await Promise.all(started.map((s) => s.ready));
    const start = performance.now();
    for (const { child } of started) child.stdin!.write('go\n');
    const reports = await Promise.all(started.map((s) => s.done));
    return { reports, ms: performance.now() - start };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  }
}


/** `npm run bench -- --only hot`: 4 processes × 256 events for one instance, events/s. */
export async function runHotInstanceBench(report: (r: BenchResult) => void, note: (line: string) => void): Promise<void> {
  if (!(await reachable(BENCH_PG_URL))) {
    note(`# hot instance: skipped, no PostgreSQL answers (set SAGAFLOW_BENCH_PG_URL)`);
    return;
  }
  note('# Hot instance (4 processes, 256 events each, all for ONE instance, default options)');
  const database = await freshDatabase(BENCH_PG_URL, 'sagaflow_hot');
  try {
    const processes = 4;
    const events = 256;
    const run = await runHotInstance(database.url, { processes, events, correlationId: 'hot' });
    const applied = run.reports.reduce((n, r) => n + r.applied, 0);
    const failed = run.reports.reduce((n, r) => n + Object.values(r.failed).reduce((a, b) => a + b, 0), 0);
    report(
      result(`hot instance: ${processes} processes, one instance, PostgreSQL`, applied, run.ms, {
        processes,
        failed,
        last_ms: run.reports.map((r) => r.lastMs),
      }),
    );
  } finally {
    await database.drop();
  }
}
