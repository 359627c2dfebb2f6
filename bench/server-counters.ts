/**
 * @module bench/server-counters
 *
 * What a measured run cost per event, independent of how busy the shared machine was: statements sent
 * (every query this process's `pg` clients sent, counted as they go: the server's own counters reach
 * `pg_stat_database` up to ten seconds late), CPU of the run's database backends (from /proc) and of this
 * Node.js process, and WAL written. WAL is the server's total (`pg_current_wal_lsn()`), so other
 * databases' writes during the run count too: read it on a quiet server.
 */
import pg from 'pg';
import { cpuSeconds } from './process-cpu.ts';

let sent = 0;
let counting = false;

/** Counts every statement a `pg` client of this process sends, from the first call on. */
function countStatements(): void {
  if (counting) return;
  counting = true;
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    sent++;
    return query.apply(this, args);
  };
}

interface Snapshot {
  readonly sent: number;
  readonly lsn: string;
  readonly backends: Map<number, number>;
  readonly node: NodeJS.CpuUsage;
}

export interface RunCost {
  readonly statements_per_event: number;
  readonly pg_cpu_us_per_event: number;
  readonly node_cpu_us_per_event: number;
  readonly wal_bytes_per_event: number;
}

/**
 * @example
 * const counters = await ServerCounters.open(url);
 * await counters.start(); … run … const cost = await counters.stop(events); await counters.close();
 */
export class ServerCounters {
  readonly #client: pg.Client;
  readonly #database: string;
  #before: Snapshot | undefined;

  private constructor(client: pg.Client, database: string) {
    this.#client = client;
    this.#database = database;
  }

  static async open(url: string): Promise<ServerCounters> {
    countStatements();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    return new ServerCounters(client, rows[0]!.db);
  }

  /** Backends are those connected at `start()`: run it after a warm-up, so the pool is open. */
  async start(): Promise<void> {
    const { rows } = await this.#client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [this.#database],
    );
    const lsn = await this.#lsn();
    this.#before = { sent, lsn, backends: new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)])), node: process.cpuUsage() };
  }

  async stop(events: number): Promise<RunCost> {
    const before = this.#before!;
    const node = process.cpuUsage(before.node);
    const statements = sent - before.sent;
    let pgCpu = 0;
    for (const [pid, seconds] of before.backends) pgCpu += cpuSeconds(pid) - seconds;
    const { rows } = await this.#client.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text AS bytes', [before.lsn]);
    const per = (n: number) => Math.round((n / Math.max(1, events)) * 100) / 100;
    return {
      statements_per_event: per(statements),
      pg_cpu_us_per_event: per(pgCpu * 1e6),
      node_cpu_us_per_event: per(node.user + node.system),
      wal_bytes_per_event: Math.round(Number(rows[0]!.bytes) / Math.max(1, events)),
    };
  }

  async #lsn(): Promise<string> {
    const { rows } = await this.#client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]!.lsn;
  }

  close(): Promise<void> {
    return this.#client.end();
  }
}
