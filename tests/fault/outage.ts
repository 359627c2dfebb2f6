/**
 * @module tests/fault/outage
 *
 * The database-outage scenario, as a library (the test and `npm run reliability` both run it): a
 * PostgreSQL cluster of its own, a stream of orders staged in its outbox, one worker process (command
 * handlers, compensations, the relay, a `WorkerHost` with `/health`), and the server crashed with
 * `pg_ctl -m immediate stop` several times at random moments, down 1–3 s each, then restarted. The
 * worker is never stopped or restarted: whatever goes wrong is the outage's doing. Once the crashes are
 * over it waits, bounded, for every saga to finish, then checks the tables (`outage-check.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createEnvelope, uuidv7 } from '../../src/index.ts';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import { migrationsDir } from '../../src/prisma/package-files.ts';
import type { OutboxEntry } from '../../src/repository/types.ts';
import { createOwnCluster, type OwnCluster } from '../helpers/own-cluster.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { checkOutage, type OutageOrder, type OutageVerdict } from './outage-check.ts';
import { OrderPlaced, OUTAGE_EFFECTS_TABLE, OUTAGE_SAGA, type OutagePlan } from './outage-saga.ts';

const WORKER = fileURLToPath(new URL('./outage-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface OutageScenarioOptions {
  readonly orders: number;
  /** Orders fall due over this window, in ms. */
  readonly streamMs: number;
  /** Server crashes, at random moments while the orders flow. At least 3. */
  readonly crashes: number;
  /** How long the server stays down each time, drawn from this range, in ms. */
  readonly downMs: readonly [number, number];
  /** How long to wait after the last restart for every saga to finish, in ms. */
  readonly settleTimeoutMs: number;
  readonly log?: (line: string) => void;
}

export interface Outage {
  /** ms since the start of the run. */
  readonly crashedAt: number;
  readonly downMs: number;
  /** Whether `/health` answered 503 at least once between the crash and a second after the restart. */
  readonly reportedNotReady: boolean;
}

export interface OutageScenarioReport {
  readonly orders: number;
  readonly durationMs: number;
  readonly outages: readonly Outage[];
  /** From the last restart until every saga was final and the outbox empty; null when it never was. */
  readonly settledAfterMs: number | null;
  /** Sagas final when the last crash ended. */
  readonly finalAtLastRestart: number;
  /** Log lines by message, for the outage lines (`store unavailable`, `store available again`) and errors. */
  readonly logLines: Readonly<Record<string, number>>;
  /** `/health` answered 200 after the run settled. */
  readonly readyAtEnd: boolean;
  /** Exits of the worker before it was told to stop: 0 in a good run. */
  readonly workerExits: number;
  readonly verdict: OutageVerdict;
  readonly stderrTail: readonly string[];
}

const between = ([min, max]: readonly [number, number]) => min + Math.random() * (max - min);

/**
 * @example
 * const report = await runOutageScenario({ orders: 150, streamMs: 12_000, crashes: 3, downMs: [1_000, 3_000], settleTimeoutMs: 30_000 });
 * report.verdict.problems; // []
 */
export async function runOutageScenario(options: OutageScenarioOptions): Promise<OutageScenarioReport> {
  if (options.crashes < 1) throw new RangeError('crashes must be ≥ 1');
  const log = options.log ?? (() => {});
  const started = Date.now();
  let cluster: OwnCluster | undefined;
  let effectsDb: TestDatabase | undefined;
  let worker: WorkerProcess | undefined;
  try {
    cluster = await createOwnCluster();
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE sagaflow');
    await admin.end();
    const url = cluster.url('sagaflow');
    await applyMigrations(url);
    effectsDb = await createTestDatabase({ migrated: false });
    const effectsClient = new pg.Client({ connectionString: effectsDb.url });
    await effectsClient.connect();
    await effectsClient.query(OUTAGE_EFFECTS_TABLE);
    await effectsClient.end();
    log(`cluster on port ${cluster.port}, effects in ${effectsDb.name} (${Date.now() - started} ms)`);

    worker = await WorkerProcess.spawn(url, effectsDb.url);
    const streamStart = Date.now() + 300;
    const orders = await stageOrders(url, options.orders, streamStart, options.streamMs);
    const health = new HealthProbe(worker.healthPort);

    // Crashes at random moments spread over the stream: one per slice, somewhere in its middle part.
    const outages: Array<{ crashedAt: number; restartedAt: number; downMs: number }> = [];
    const slice = options.streamMs / options.crashes;
    for (let k = 0; k < options.crashes; k++) {
      const at = streamStart + k * slice + between([0.15 * slice, 0.55 * slice]);
      await sleep(Math.max(0, at - Date.now()));
      const downMs = Math.round(between(options.downMs));
      const crashedAt = Date.now();
      await cluster.crash();
      await sleep(downMs);
      await cluster.start();
      outages.push({ crashedAt, restartedAt: Date.now(), downMs });
      log(`crash ${k + 1}: down ${downMs} ms, back after ${Date.now() - crashedAt} ms`);
    }
    const lastRestart = Date.now();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const finalAtLastRestart = await countFinal(client);
      const settled = await waitUntilSettled(client, options.orders, options.settleTimeoutMs, log);
      const settledAfterMs = settled ? Date.now() - lastRestart : null;
      await sleep(300);
      const readyAtEnd = (await health.sample()) === 200;
      health.stop();
      await worker.stop();
      const effects = new pg.Client({ connectionString: effectsDb.url });
      await effects.connect();
      const verdict = await checkOutage(client, effects, orders).finally(() => effects.end());
      return {
        orders: options.orders,
        durationMs: Date.now() - started,
        outages: outages.map((o) => ({
          crashedAt: o.crashedAt - started,
          downMs: o.downMs,
          reportedNotReady: health.notReadyBetween(o.crashedAt, o.restartedAt + 1_000),
        })),
        settledAfterMs,
        finalAtLastRestart,
        logLines: worker.lines,
        readyAtEnd,
        workerExits: worker.unexpectedExits,
        verdict,
        stderrTail: worker.stderrTail,
      };
    } finally {
      await client.end();
    }
  } finally {
    await worker?.stop();
    await cluster?.destroy();
    await effectsDb?.drop();
  }
}

/** The checked-in migrations' SQL, in order (what `migrate()` applies, without starting its engine: seconds on a busy machine). */
async function applyMigrations(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const name of readdirSync(migrationsDir).filter((n) => !n.endsWith('.toml')).sort()) {
      await client.query(readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8'));
    }
  } finally {
    await client.end();
  }
}

async function stageOrders(url: string, count: number, start: number, streamMs: number): Promise<OutageOrder[]> {
  const orders: OutageOrder[] = [];
  const entries: OutboxEntry[] = [];
  for (let i = 0; i < count; i++) {
    const orderId = `order-${String(i).padStart(4, '0')}`;
    const plan: OutagePlan = i % 3 === 2 ? 'fail-ship' : 'complete';
    const at = start + Math.floor((i / count) * streamMs);
    const envelope = createEnvelope('event', OrderPlaced.name, OrderPlaced.parse({ orderId, plan }), { correlationId: orderId });
    orders.push({ orderId, plan, messageId: envelope.messageId });
    entries.push({ id: uuidv7(at), envelope, availableAt: new Date(at) });
  }
  const repository = await createPrismaRepository({ databaseUrl: url, cache: false, poolSize: 1 });
  try {
    await repository.stageOutbox(entries);
  } finally {
    await repository.close();
  }
  return orders;
}

async function countFinal(client: pg.Client): Promise<number> {
  for (;;) {
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM sagaflow_instances WHERE saga_name = $1 AND status IN ('completed', 'faulted')`,
        [OUTAGE_SAGA],
      );
      return rows[0]!.n;
    } catch {
      await sleep(100); // the server may still be recovering
    }
  }
}

async function waitUntilSettled(client: pg.Client, orders: number, timeoutMs: number, log: (line: string) => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { rows } = await client.query<{ final: number; outbox: number; running: number }>(
      `SELECT (SELECT count(*) FROM sagaflow_instances WHERE saga_name = $1 AND status IN ('completed', 'faulted'))::int AS final,
              (SELECT count(*) FROM sagaflow_outbox)::int AS outbox,
              (SELECT count(*) FROM sagaflow_commands WHERE status = 'running')::int AS running`,
      [OUTAGE_SAGA],
    );
    const { final, outbox, running } = rows[0]!;
    if (final >= orders && outbox === 0 && running === 0) return true;
    const line = `waiting: ${final}/${orders} sagas final, ${outbox} in the outbox, ${running} commands running`;
    if (line !== last) log((last = line));
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

/** The worker child process: spawned once, never restarted, stopped with SIGTERM at the end. */
class WorkerProcess {
  /** Counts of warn and error lines, and of lines about the store, by message. */
  readonly lines: Record<string, number> = {};
  readonly stderrTail: string[] = [];
  unexpectedExits = 0;
  healthPort = 0;
  #stopping = false;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #ready: Promise<void>;

  private constructor(url: string, effectsUrl: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      env: { ...process.env, OUTAGE_DATABASE_URL: url, OUTAGE_EFFECTS_URL: effectsUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    // Never left running by a test that timed out.
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    child.once('exit', () => process.removeListener('exit', kill));
    this.#exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        if (!this.#stopping) this.unexpectedExits++;
        resolve();
      }),
    );
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
    });
    this.#ready = new Promise<void>((resolve, reject) => {
      void this.#exited.then(() => reject(new Error(`the worker exited before it was ready: ${this.stderrTail.join('\n')}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let fields: { msg?: string; level?: string; healthPort?: number };
        try {
          fields = JSON.parse(line) as typeof fields;
        } catch {
          return;
        }
        if (fields.msg === 'outage-worker ready') {
          this.healthPort = fields.healthPort!;
          resolve();
        } else if (fields.msg && (fields.level === 'warn' || fields.level === 'error' || /store/.test(fields.msg))) {
          this.lines[fields.msg] = (this.lines[fields.msg] ?? 0) + 1;
        }
      });
    });
  }

  static async spawn(url: string, effectsUrl: string): Promise<WorkerProcess> {
    const worker = new WorkerProcess(url, effectsUrl);
    await worker.#ready;
    return worker;
  }

  async stop(): Promise<void> {
    if (this.#stopping) return this.#exited;
    this.#stopping = true;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Polls `/health` every 100 ms and keeps what it answered when. */
class HealthProbe {
  readonly #samples: Array<{ at: number; status: number }> = [];
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(readonly port: number) {
    this.#timer = setInterval(() => void this.sample(), 100);
  }

  async sample(): Promise<number> {
    const at = Date.now();
    const status = await fetch(`http://127.0.0.1:${this.port}/health`).then(
      (r) => r.status,
      () => 0,
    );
    this.#samples.push({ at, status });
    return status;
  }

  notReadyBetween(from: number, to: number): boolean {
    return this.#samples.some((s) => s.at >= from && s.at <= to && s.status === 503);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
