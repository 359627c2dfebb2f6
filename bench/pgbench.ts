/**
 * @module bench/pgbench
 *
 * PostgreSQL's own `pgbench -N` as the baseline of the realistic workloads, on a database of its own
 * (`pgbench -i -s 10`, dropped by the caller). `-N` skips the teller and branch updates: each transaction
 * is BEGIN, UPDATE pgbench_accounts, SELECT, INSERT pgbench_history, END, so it is one commit per
 * transaction with a read and two writes, like one saga event's load and commit.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { cpuSeconds, pidsMatching } from './process-cpu.ts';

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

function isPgbench(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'pgbench';
  } catch {
    return false;
  }
}
