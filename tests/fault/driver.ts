/**
 * @module tests/fault/driver
 *
 * The fault-injection scenario, as a library (the test and `npm run reliability` both run it):
 * a fresh database, a stream of orders staged in the outbox (with duplicates and malformed messages
 * among them), worker processes that a chaos loop SIGKILLs at random and restarts, and kill points
 * inside the workers. Once the chaos stops it waits, bounded, until every saga is final and the outbox
 * is empty, then checks everything with SQL (`check.ts`) and returns the figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { createEnvelope, SagaOrchestrator, uuidv7 } from '../../src/index.ts';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import type { OutboxEntry } from '../../src/repository/types.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { Chaos, KILL_MARK, KILL_POINTS, READY_MARK, STATS_MARK, type KillOdds, type KillPoint } from './chaos.ts';
import { checkScenario, totalLost, type MalformedSpec, type OrderSpec, type Verdict } from './check.ts';
import { EffectsStore } from './effects.ts';
import { FAULT_SAGA, faultSaga, OrderSubmitted, planFor, type Plan } from './fault-saga.ts';
import type { FaultWorkerStats } from './fault-worker.ts';
import { malformedRaw, malformedThroughOutbox } from './malformed.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The share of random kills aimed at a worker still starting, when one is. */
const START_UP_KILL_SHARE = 0.15;

export interface FaultScenarioOptions {
  readonly orders: number;
  readonly workers: number;
  /** Orders fall due over this window from the start, in ms: a stream, not a batch. */
  readonly streamMs: number;
  /** Random SIGKILLs and kill points stop this long after the start, in ms. */
  readonly chaosMs: number;
  /** A random worker is SIGKILLed after a pause drawn from this range, in ms. */
  readonly killEveryMs: readonly [number, number];
  /**
   * Random SIGKILLs go on past `chaosMs` until this many happened (for up to `chaosMs` more): on a busy
   * machine workers take seconds to start, and a window with hardly a worker ready to kill tests little.
   */
  readonly minRandomKills?: number;
  /** Probabilities of a worker killing itself at each kill point. */
  readonly killOdds: KillOdds;
  /** Orders whose `OrderSubmitted` is staged again under another outbox id (half at once, half later). */
  readonly duplicates: number;
  /** Copies of each malformed kind, through the workers and through `receive()`. */
  readonly malformedEach: number;
  /** How long to wait after the chaos for every saga to finish, in ms. */
  readonly settleTimeoutMs: number;
  /** Outbox and relay lease in the workers, in ms. Default 1500. */
  readonly leaseMs?: number;
  /** The workers' repository instance cache. Default true (the factory's default). */
  readonly instanceCache?: boolean;
  /** Keep the database for inspection instead of dropping it. */
  readonly keepDatabase?: boolean;
  readonly log?: (line: string) => void;
}

export interface FaultScenarioReport {
  readonly options: Omit<FaultScenarioOptions, 'log'>;
  readonly durationMs: number;
  /** From the end of the chaos until every saga was final and the outbox empty; null when it never was. */
  readonly settledAfterMs: number | null;
  readonly orders: {
    readonly total: number;
    readonly byPlan: Record<Plan, number>;
    /** Sagas already final when the chaos stopped: how much of the work ran under it. */
    readonly finalAtChaosEnd: number;
  };
  readonly kills: {
    readonly random: number;
    /** Random kills that hit a worker still starting (connecting, running `recover()`). */
    readonly randomDuringStartUp: number;
    readonly byPoint: Record<KillPoint, number>;
    readonly restarts: number;
    /** Exits that were not a kill (an uncaught error): 0 in a good run. */
    readonly crashes: number;
  };
  readonly duplicates: { readonly injected: number; readonly atOnce: number; readonly late: number };
  readonly malformed: { readonly tried: number; readonly throughWorkers: number; readonly throughReceive: number; readonly byKind: Record<string, number> };
  /** What the workers that stopped cleanly counted (recoveries, errors reported to `onError`). */
  readonly workerStats: {
    readonly recoveredAtStart: number;
    readonly recoveredPeriodically: number;
    readonly errors: number;
    /** Median time from spawn to ready. */
    readonly startUpMs: number;
  };
  readonly verdict: Verdict;
  readonly lostTotal: number;
  /** The last lines workers wrote to stderr, for diagnosis. */
  readonly stderrTail: readonly string[];
}

/**
 * Runs the scenario in a database of its own, which it drops afterwards.
 *
 * @example
 * const report = await runFaultScenario({ orders: 80, workers: 3, streamMs: 6_000, chaosMs: 12_000,
 *   killEveryMs: [800, 1_600], killOdds: { 'after-commit': 0.02 }, duplicates: 10, malformedEach: 2, settleTimeoutMs: 30_000 });
 * report.lostTotal; // 0
 */
export async function runFaultScenario(options: FaultScenarioOptions): Promise<FaultScenarioReport> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const pool = new WorkerPool(db, options, started + options.chaosMs);
  try {
    await EffectsStore.createTable(db.url);
    const staged = await stageScenario(db.url, options, started);
    log(`staged ${staged.orders.length} orders, ${staged.duplicates.injected} duplicates, ${staged.malformed.length} malformed (database ${db.name})`);

    for (let slot = 0; slot < options.workers; slot++) pool.spawn(slot);
    await pool.chaos(log);
    log(`chaos over: ${pool.kills.random} random kills, ${Object.values(pool.kills.byPoint).reduce((a, b) => a + b, 0)} at kill points`);

    const chaosEnd = Date.now();
    const finalAtChaosEnd = await countFinal(client);
    const settled = await waitUntilSettled(client, staged.orders.length, options.settleTimeoutMs, log);
    const settledAfterMs = settled ? Date.now() - chaosEnd : null;
    await pool.stopAll();
    const verdict = await checkScenario(client, staged.orders, staged.malformed);
    const byPlan = { complete: 0, 'fail-stock': 0, 'fail-shipping': 0 } as Record<Plan, number>;
    for (const o of staged.orders) byPlan[o.plan]++;
    const byKind: Record<string, number> = {};
    for (const m of staged.malformed) byKind[m.kind] = (byKind[m.kind] ?? 0) + 1;
    const { log: _log, ...kept } = options;
    return {
      options: kept,
      durationMs: Date.now() - started,
      settledAfterMs,
      orders: { total: staged.orders.length, byPlan, finalAtChaosEnd },
      kills: { ...pool.kills, byPoint: { ...pool.kills.byPoint } },
      duplicates: staged.duplicates,
      malformed: {
        tried: staged.malformed.length,
        throughWorkers: staged.malformed.filter((m) => m.deadLetterId === undefined).length,
        throughReceive: staged.malformed.filter((m) => m.deadLetterId !== undefined).length,
        byKind,
      },
      workerStats: { ...pool.stats, startUpMs: median(pool.startUpMs) },
      verdict,
      lostTotal: totalLost(verdict.lost),
      stderrTail: pool.stderrTail,
    };
  } finally {
    await pool.stopAll();
    await client.end();
    if (options.keepDatabase) log(`kept database ${db.url}`);
    else await db.drop();
  }
}

interface Staged {
  readonly orders: OrderSpec[];
  readonly malformed: MalformedSpec[];
  readonly duplicates: { injected: number; atOnce: number; late: number };
}

/**
 * Outbox entries for `count` orders due over `[started, started + streamMs)`, and `duplicates` of their
 * `OrderSubmitted` staged again under other outbox ids: half due with the original, half seconds later.
 */
export function orderStream(count: number, started: number, streamMs: number, duplicates: number) {
  const orders: OrderSpec[] = [];
  const entries: OutboxEntry[] = [];
  const due: number[] = [];
  for (let i = 0; i < count; i++) {
    const orderId = `order-${String(i).padStart(4, '0')}`;
    const plan = planFor(i);
    const at = started + Math.floor((i / count) * streamMs);
    const envelope = createEnvelope('event', OrderSubmitted.name, OrderSubmitted.parse({ orderId, amount: 10 + (i % 90), plan }), {
      correlationId: orderId,
    });
    orders.push({ orderId, plan, messageId: envelope.messageId });
    entries.push({ id: uuidv7(at), envelope, availableAt: new Date(at) });
    due.push(at);
  }
  const injected = { injected: 0, atOnce: 0, late: 0 };
  const step = Math.max(1, Math.floor(count / Math.max(1, duplicates)));
  for (let i = 0, k = 0; k < duplicates && i < count; i += step, k++) {
    const late = k % 2 === 1;
    const at = due[i]! + (late ? 2_000 + Math.floor(Math.random() * 3_000) : 0);
    entries.push({ id: uuidv7(at), envelope: entries[i]!.envelope, availableAt: new Date(at) });
    injected.injected++;
    if (late) injected.late++;
    else injected.atOnce++;
  }
  return { orders, entries, duplicates: injected };
}

/** Orders, duplicates and malformed messages in the outbox; and the raw inputs, through `receive()`. */
async function stageScenario(url: string, options: FaultScenarioOptions, started: number): Promise<Staged> {
  const repository = await createPrismaRepository({ databaseUrl: url, cache: false, poolSize: 2 });
  try {
    const { orders, entries, duplicates } = orderStream(options.orders, started, options.streamMs, options.duplicates);
    const bad = malformedThroughOutbox(options.malformedEach, started, options.streamMs);
    await repository.stageOutbox([...entries, ...bad.entries]);

    // A transport handing raw input to an orchestrator (this process plays it; no relay, no bus).
    const effects = new EffectsStore(url, 1);
    const transport = new SagaOrchestrator({
      sagas: [faultSaga({ effects, chaos: Chaos.none })],
      repository,
      relay: false,
      subscribe: false,
      maxPayloadBytes: 32 * 1024,
    });
    const malformed: MalformedSpec[] = [...bad.specs];
    for (const raw of malformedRaw(options.malformedEach)) {
      const result = await transport.receive(raw.input);
      if (result.status !== 'dead-lettered') throw new Error(`${raw.kind}: receive() handled it instead of dead-lettering it`);
      if (result.deadLetter.reason !== raw.reason) {
        throw new Error(`${raw.kind}: dead-lettered as ${result.deadLetter.reason}, expected ${raw.reason}`);
      }
      malformed.push({ kind: raw.kind, reason: raw.reason, deadLetterId: result.deadLetter.id });
    }
    await transport.close();
    await effects.close();
    return { orders, malformed, duplicates };
  } finally {
    await repository.close();
  }
}

async function countFinal(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM sagaflow_instances WHERE saga_name = $1 AND status IN ('completed', 'faulted')`,
    [FAULT_SAGA],
  );
  return rows[0]!.n;
}

/** Polls until every order's instance is final and the outbox is empty, or the time is up. */
export async function waitUntilSettled(client: pg.Client, orders: number, timeoutMs: number, log: (line: string) => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { rows } = await client.query<{ final: number; outbox: number }>(
      `SELECT (SELECT count(*) FROM sagaflow_instances WHERE saga_name = $1 AND status IN ('completed', 'faulted'))::int AS final,
              (SELECT count(*) FROM sagaflow_outbox)::int AS outbox`,
      [FAULT_SAGA],
    );
    const { final, outbox } = rows[0]!;
    if (final >= orders && outbox === 0) return true;
    const line = `waiting: ${final}/${orders} sagas final, ${outbox} messages in the outbox`;
    if (line !== last) log((last = line));
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

interface Slot {
  child: ChildProcess | undefined;
  ready: boolean;
  stopping: boolean;
  exited: Promise<void>;
}

/** The worker processes: spawned, SIGKILLed, restarted, and finally stopped with SIGTERM. */
class WorkerPool {
  readonly kills = {
    random: 0,
    randomDuringStartUp: 0,
    byPoint: Object.fromEntries(KILL_POINTS.map((p) => [p, 0])) as Record<KillPoint, number>,
    restarts: 0,
    crashes: 0,
  };
  readonly stats = { recoveredAtStart: 0, recoveredPeriodically: 0, errors: 0 };
  readonly stderrTail: string[] = [];
  /** Spawn to ready, per start. */
  readonly startUpMs: number[] = [];
  readonly #slots: Slot[] = [];
  #stopping = false;

  constructor(
    private readonly db: TestDatabase,
    private readonly options: FaultScenarioOptions,
    private readonly chaosEnd: number,
  ) {}

  spawn(index: number): void {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      env: {
        ...process.env,
        FAULT_DATABASE_URL: this.db.url,
        FAULT_KILL_ODDS: JSON.stringify(this.options.killOdds),
        FAULT_CHAOS_UNTIL: String(this.chaosEnd),
        FAULT_LEASE_MS: String(this.options.leaseMs ?? 1_500),
        FAULT_INSTANCE_CACHE: this.options.instanceCache === false ? '0' : '1',
        // Replies go to whichever relay polls first, so a saga's steps spread over the processes.
        FAULT_WAKE_RELAY: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const spawnedAt = Date.now();
    const slot: Slot = { child, ready: false, stopping: false, exited: Promise.resolve() };
    this.#slots[index] = slot;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith(READY_MARK)) {
        slot.ready = true;
        this.startUpMs.push(Date.now() - spawnedAt);
        const stats = JSON.parse(line.slice(READY_MARK.length).split(' ').slice(1).join(' ')) as { recoveredAtStart: number };
        this.stats.recoveredAtStart += stats.recoveredAtStart;
      } else if (line.startsWith(KILL_MARK)) {
        const { point } = JSON.parse(line.slice(KILL_MARK.length)) as { point: KillPoint };
        this.kills.byPoint[point]++;
      } else if (line.startsWith(STATS_MARK)) {
        const stats = JSON.parse(line.slice(STATS_MARK.length)) as FaultWorkerStats;
        this.stats.recoveredPeriodically += stats.recovered;
        this.stats.errors += stats.errors;
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail.push(`[${child.pid}] ${line}`);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
    });
    slot.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        slot.child = undefined;
        // A worker stopped while still starting dies of the SIGTERM itself (its handler is not installed yet).
        if (signal !== 'SIGKILL' && !(slot.stopping && (code === 0 || signal === 'SIGTERM'))) {
          this.kills.crashes++;
          this.stderrTail.push(`[${child.pid}] exited with code ${code} signal ${signal}`);
        }
        if (!this.#stopping && !slot.stopping) {
          this.kills.restarts++;
          // A supervisor restarting it, after a short pause.
          setTimeout(() => {
            if (!this.#stopping) this.spawn(index);
          }, 100);
        }
        resolve();
      });
    });
  }

  /** SIGKILLs a random live worker after each random pause, until the chaos ends (see `minRandomKills`). */
  async chaos(log: (line: string) => void): Promise<void> {
    const [min, max] = this.options.killEveryMs;
    const wanted = this.options.minRandomKills ?? 0;
    const hardEnd = this.chaosEnd + this.options.chaosMs;
    for (;;) {
      const pause = min + Math.random() * (max - min);
      const end = this.kills.random < wanted ? hardEnd : this.chaosEnd;
      if (Date.now() + pause >= end) {
        await sleep(Math.max(0, end - Date.now()));
        return;
      }
      await sleep(pause);
      // Mostly a worker at work; now and then one still starting (connecting, running recover()).
      const live = this.#slots.filter((s) => s.child !== undefined);
      const starting = live.filter((s) => !s.ready);
      const candidates = starting.length > 0 && Math.random() < START_UP_KILL_SHARE ? starting : live.filter((s) => s.ready);
      const victim = candidates[Math.floor(Math.random() * candidates.length)];
      if (!victim?.child) continue;
      this.kills.random++;
      if (!victim.ready) this.kills.randomDuringStartUp++;
      victim.child.kill('SIGKILL');
      if (this.kills.random % 10 === 0) log(`${this.kills.random} random kills so far`);
    }
  }

  /** SIGTERM to every worker (each stops cleanly and reports its stats); SIGKILL after 15 s. */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(async (slot) => {
        const child = slot.child;
        if (child === undefined) return slot.exited;
        slot.stopping = true;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await slot.exited;
        clearTimeout(timer);
      }),
    );
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor(sorted.length / 2)]!;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
