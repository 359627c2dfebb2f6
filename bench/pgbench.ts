/**
 * @module bench/pgbench
 *
 * PostgreSQL's own `pgbench -N` as the baseline of the realistic workloads, on a database of its own
 * (`pgbench -i -s 10`, dropped by the caller). `-N` skips the teller and branch updates: each transaction
 * is BEGIN, UPDATE pgbench_accounts, SELECT, INSERT pgbench_history, END, so it is one commit per
 * transaction with a read and two writes, like one saga event's load and commit.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cpuSeconds, pidsMatching } from './process-cpu.ts';
import type { OpenLoopResult } from './open-loop.ts';

const run = promisify(execFile);

/** Whether a `pgbench` binary answers `--version`. */
export async function pgbenchInstalled(): Promise<boolean> {
  try {
    await run('pgbench', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** The libpq arguments for `url`: host, port, user and database. */
function connectionArgs(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const args = ['-h', u.hostname || '127.0.0.1', '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres')];
  const env = { ...process.env, ...(u.password && { PGPASSWORD: decodeURIComponent(u.password) }) };
  return { args: [...args, u.pathname.slice(1)], env };
}

/** `pgbench -i -s <scale> -q` on the (empty) database at `url`. */
export async function pgbenchInit(url: string, scale = 10): Promise<void> {
  const { args, env } = connectionArgs(url);
  await run('pgbench', ['-i', '-q', '-s', String(scale), ...args], { env, maxBuffer: 16 * 1024 * 1024 });
}

export interface PgbenchResult {
  readonly tps: number;
  readonly transactions: number;
  readonly seconds: number;
  readonly latencyMs: number;
  /** CPU per transaction of the database's backends and of pgbench itself, sampled from /proc while it ran. */
  readonly pgCpuUsPerTx: number;
  readonly clientCpuUsPerTx: number;
}

/** `pgbench -N -c <clients> -j 2 -T <seconds>`; the tps it prints (without initial connection time). */
export async function pgbenchN(url: string, clients: number, seconds: number): Promise<PgbenchResult> {
  const { args, env } = connectionArgs(url);
  const database = args[args.length - 1]!;
  const running = run('pgbench', ['-N', '-c', String(clients), '-j', '2', '-T', String(seconds), ...args], {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  // Backends (titled `postgres: <user> <database> …`) and pgbench exit with the run, taking their CPU
  // counters along: the last reading of each is kept.
  const last = { backends: new Map<number, number>(), client: new Map<number, number>() };
  const sample = () => {
    for (const pid of pidsMatching(` ${database} `)) {
      const seconds = cpuSeconds(pid);
      if (seconds > 0) (isPgbench(pid) ? last.client : last.backends).set(pid, seconds);
    }
  };
  const sampler = setInterval(sample, 100);
  let stdout: string;
  try {
    ({ stdout } = await running);
  } finally {
    clearInterval(sampler);
  }
  const tps = /tps = ([\d.]+)/.exec(stdout);
  const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
  const latency = /latency average = ([\d.]+) ms/.exec(stdout);
  if (!tps || !processed) throw new Error(`pgbench printed no tps:\n${stdout}`);
  const transactions = Number(processed[1]);
  const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    tps: Math.round(Number(tps[1])),
    transactions,
    seconds,
    latencyMs: Number(latency?.[1] ?? NaN),
    pgCpuUsPerTx: Math.round((sum(last.backends) * 1e6) / transactions),
    clientCpuUsPerTx: Math.round((sum(last.client) * 1e6) / transactions),
  };
}

/** The open loop's figures (`bench/open-loop.ts`), without what pgbench does not report. */
export type PgbenchOpenLoopResult = Omit<OpenLoopResult, 'kept_up' | 'failed'>;

/**
 * `pgbench -N -c <clients> -j 2 -R <rate>` for `warmupSeconds + seconds`, each transaction logged (`-l`):
 * PostgreSQL's own latency at the fixed rate our open loop runs at. A transaction's latency is counted
 * as ours is, from when it was due: its time plus its schedule lag (the wait for a free client). The
 * warm-up's transactions are left out, as in `openLoop`.
 */
export async function pgbenchOpenLoop(url: string, clients: number, rate: number, seconds: number, warmupSeconds = 3): Promise<PgbenchOpenLoopResult> {
  const { args, env } = connectionArgs(url);
  const dir = mkdtempSync(join(tmpdir(), 'sagaflow-pgbench-'));
  try {
    await run(
      'pgbench',
      ['-N', '-c', String(clients), '-j', '2', '-R', String(Math.round(rate)), '-T', String(warmupSeconds + seconds), '-l', `--log-prefix=${join(dir, 'log')}`, ...args],
      { env, maxBuffer: 16 * 1024 * 1024 },
    );
    const logged: { at: number; ms: number }[] = [];
    for (const file of readdirSync(dir)) {
      // client transaction time_us script epoch_s epoch_us schedule_lag_us
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const f = line.split(' ');
        if (f.length >= 7) logged.push({ at: Number(f[4]) + Number(f[5]) / 1e6, ms: (Number(f[2]) + Number(f[6])) / 1000 });
      }
    }
    const from = Math.min(...logged.map((l) => l.at)) + warmupSeconds;
    const window = logged.filter((l) => l.at >= from);
    const latencies = window.map((l) => l.ms);
    const span = Math.max(seconds, Math.max(...window.map((l) => l.at)) - from);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) * 100) / 100;
    return {
      target_rate: Math.round(rate),
      achieved_rate: Math.round(latencies.length / span),
      events: latencies.length,
      p50_ms: pct(0.5),
      p90_ms: pct(0.9),
      p99_ms: pct(0.99),
      p999_ms: pct(0.999),
      max_ms: pct(1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function isPgbench(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'pgbench';
  } catch {
    return false;
  }
}
