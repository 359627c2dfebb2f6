/**
 * @module bench/process-cpu
 * CPU seconds used by processes, read from /proc (Linux): for reporting where a multi-process
 * benchmark's time went (workers, PostgreSQL, RabbitMQ) rather than guessing from throughput alone.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of one process in seconds; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is parenthesised and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Pids whose command line contains `needle` (e.g. `postgres:` for backends, `beam.smp`). */
export function pidsMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Total CPU seconds of a group of processes, found again at each reading (backends come and go). */
export function groupCpu(needle: string): () => number {
  return () => pidsMatching(needle).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}
