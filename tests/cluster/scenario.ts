/**
 * @module tests/cluster/scenario
 * The cluster end to end (issue 6), for any broker: three worker processes of
 * `examples/cluster/worker.ts` share a fresh database and a broker namespace of their own; a publisher
 * sends thousands of orders (with duplicates); mid-run the busiest worker is SIGKILLed and, later, the
 * broker is stopped and started again. Every order must then be final in the state its id says, exactly
 * once, its compensations run exactly as expected, nothing left in the outbox, no dead letter — checked
 * with SQL. The survivors stop on SIGTERM with exit code 0.
 *
 * `CLUSTER_ORDERS` overrides the number of orders (default 2,000).
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../src/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { checkCluster, outcomeOf, progress } from './check.ts';
import { orderEnvelopes, publishStream, type ClusterPublisher } from './orders.ts';
import { killAll, WorkerProcess } from './workers.ts';

/** One broker under the scenario: how workers reach it, how to stop and start it, what is left in it. */
export interface ClusterBroker {
  readonly label: string;
  /** The workers' environment for this broker: TRANSPORT, its URL, EXCHANGE, … */
  readonly workerEnv: Record<string, string>;
  /** A started publish-only transport with `partitions`. */
  publisher(partitions: number, onError: (error: unknown) => void): Promise<ClusterPublisher>;
  /** Stops the broker (every connection drops, what it stored stays). */
  stop(): Promise<void>;
  /** Starts it again; harmless when it runs. */
  start(): Promise<void>;
  /** Queues or streams of this run with the messages still in them. */
  queued(): Promise<[string, number][]>;
  /** Dead-letter queues or streams of this run that hold something. */
  deadLettered(): Promise<[string, number][]>;
  /** Removes what the run created in the broker. */
  cleanup(): Promise<void>;
}

const ORDERS = Number(process.env.CLUSTER_ORDERS ?? 2_000);
const WORKERS = 3;
const PARTITIONS = 8;
/** Orders whose `OrderCreated` is published a second time (same envelope): half at once, half after the broker restart. */
const DUPLICATES = 100;
/** The orders are published over this long; the worker is killed, then the broker stopped, this long after the stream began. */
const STREAM_MS = 10_000;
const KILL_AFTER_MS = 3_000;
const RESTART_AFTER_MS = 6_000;
const BROKER_DOWN_MS = 3_000;
/** After the broker restart: how long every order may take to become final and the outbox to empty. */
const SETTLE_TIMEOUT_MS = 45_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function runClusterScenario(broker: ClusterBroker): void {
  describe(`a cluster of workers on ${broker.label} and PostgreSQL`, () => {
    const workers: WorkerProcess[] = [];
    let db: TestDatabase | undefined;
    let client: pg.Client | undefined;
    let publisher: ClusterPublisher | undefined;

    afterAll(async () => {
      // Whatever happened: no worker survives, the broker runs, nothing of this run is left behind.
      // Every step is tried even when one before it failed.
      const failures: unknown[] = [];
      const attempt = async (step: () => Promise<unknown> | undefined) => {
        try {
          await step();
        } catch (error) {
          failures.push(error);
        }
      };
      await attempt(() => killAll(workers));
      await attempt(() => broker.start());
      await attempt(() => publisher?.close());
      await attempt(() => client?.end());
      await attempt(() => db?.drop());
      await attempt(() => broker.cleanup());
      if (failures.length > 0) throw new AggregateError(failures, 'the cluster test could not clean up');
    }, 60_000);

    it(
      'completes or compensates thousands of orders exactly once while a worker is SIGKILLed and the broker restarts',
      async () => {
        const started = Date.now();
        db = await createTestDatabase();
        client = new pg.Client({ connectionString: db.url });
        await client.connect();
        const env = { ...broker.workerEnv, DATABASE_URL: db.url, PARTITIONS: String(PARTITIONS), OUTBOX_LEASE_MS: '3000' };
        for (let i = 0; i < WORKERS; i++) {
          workers.push(new WorkerProcess(`cluster-w${i}`, { ...env, WORKER_INDEX: String(i), WORKER_COUNT: String(WORKERS) }));
        }
        await Promise.all(workers.map((w) => w.ready(30_000)));
        const readyAfterMs = Date.now() - started;

        const publisherErrors: unknown[] = [];
        publisher = await broker.publisher(PARTITIONS, (e) => publisherErrors.push(e));
        const envelopes = orderEnvelopes(ORDERS);
        const createdBy = new Map(envelopes.map((e) => [e.correlationId!, e.messageId]));
        const step = Math.floor(ORDERS / DUPLICATES);
        const duplicates = envelopes.filter((_, i) => i % step === 0).slice(0, DUPLICATES);
        const [early, late] = [duplicates.filter((_, k) => k % 2 === 0), duplicates.filter((_, k) => k % 2 === 1)];
        // The early duplicates go out among the originals: two copies of one message in flight at once.
        const stream: Envelope[] = [];
        envelopes.forEach((e, i) => {
          stream.push(e);
          if (i % step === 0 && early.includes(e)) stream.push(e);
        });
        // Published as a stream over STREAM_MS, so that sagas are at every step when the faults come.
        const publishStarted = Date.now();
        const publishing = publishStream(publisher, stream, { spreadMs: STREAM_MS });
        publishing.catch(() => {}); // awaited below; a rejection must not go unhandled meanwhile

        const timeline: string[] = [];
        const at = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
        const inFlight = async () => {
          const p = await progress(client!);
          return `${p.final} final of ${p.instances} started`;
        };
        await sleep(KILL_AFTER_MS);
        const victim = workers.reduce((a, b) => (b.count('handled') > a.count('handled') ? b : a));
        victim.kill('SIGKILL');
        const killed = await victim.exited;
        timeline.push(`${at()} SIGKILL ${victim.name} (${victim.count('handled')} handled), ${await inFlight()}`);
        expect(killed.signal).toBe('SIGKILL');

        await sleep(RESTART_AFTER_MS - KILL_AFTER_MS);
        timeline.push(`${at()} broker stopping, ${await inFlight()}`);
        await broker.stop();
        timeline.push(`${at()} broker stopped, ${await inFlight()}`);
        await sleep(BROKER_DOWN_MS);
        timeline.push(`${at()} broker down ${BROKER_DOWN_MS} ms, ${await inFlight()}`);
        await broker.start();
        timeline.push(`${at()} broker started, ${await inFlight()}`);
        const restartedAt = Date.now();

        const streamed = await publishing;
        const publishMs = Date.now() - publishStarted;
        timeline.push(`${at()} stream published (${streamed.retries} publishes retried), ${await inFlight()}`);
        // The late duplicates: through the publisher's new connection, mostly for sagas already final.
        const lateStats = await publishStream(publisher, late);

        // Every order final, the outbox empty, and the exchange's queues drained (the late duplicates, the compensations' commands).
        const settleDeadline = Date.now() + SETTLE_TIMEOUT_MS;
        for (;;) {
          const p = await progress(client);
          if (p.final === ORDERS && p.instances === ORDERS && p.outbox === 0) {
            const queued = (await broker.queued()).filter(([, n]) => n > 0);
            if (queued.length === 0) break;
            if (Date.now() > settleDeadline) throw new Error(`all orders final, but messages still queued: ${JSON.stringify(queued)}`);
          } else if (Date.now() > settleDeadline) {
            const stuck = await client.query(
              `SELECT correlation_id, state, status, version FROM sagaflow_instances WHERE status NOT IN ('completed', 'faulted') ORDER BY correlation_id LIMIT 10`,
            );
            const { rows: started } = await client.query<{ correlation_id: string }>('SELECT correlation_id FROM sagaflow_instances');
            const have = new Set(started.map((r) => r.correlation_id));
            const missing = [...createdBy.keys()].filter((id) => !have.has(id)).slice(0, 10);
            throw new Error(
              `not settled ${SETTLE_TIMEOUT_MS} ms after the broker restart: ${p.final}/${ORDERS} final, ${p.instances} instances, ${p.outbox} outbox rows; ` +
                `never started (first 10): ${JSON.stringify(missing)}; ` +
                `not final (first 10): ${JSON.stringify(stuck.rows)}; timeline: ${timeline.join('; ')}; ` +
                `stderr: ${workers.map((w) => `${w.name}: ${w.stderrTail.slice(-5).join(' | ')}`).join(' ; ')}`,
            );
          }
          await sleep(250);
        }
        const settledAfterRestartMs = Date.now() - restartedAt;

        // The survivors stop gracefully.
        const survivors = workers.filter((w) => w !== victim);
        const exits = await Promise.all(survivors.map((w) => w.stop(20_000)));
        for (const [k, w] of survivors.entries()) {
          expect(exits[k], `${w.name}: ${w.stderrTail.join('\n')}`).toEqual({ code: 0, signal: null });
          expect(w.count('worker stopped'), w.name).toBe(1);
        }

        const verdict = await checkCluster(client, createdBy);
        const deadQueues = await broker.deadLettered();
        const byOutcome = { complete: 0, nostock: 0, noship: 0 };
        for (const id of createdBy.keys()) byOutcome[outcomeOf(id)]++;
        const figures = {
          orders: ORDERS,
          byOutcome,
          workers: WORKERS,
          partitions: PARTITIONS,
          published: stream.length + late.length,
          duplicates: { total: duplicates.length, early: early.length, late: late.length },
          kills: 1,
          brokerRestarts: 1,
          timeline,
          eventsApplied: verdict.observed.eventsApplied,
          historyRows: verdict.observed.historyRows,
          compensationSteps: verdict.observed.compensationSteps,
          compensationResumes: verdict.observed.compensationResumes,
          handledLogLines: workers.reduce((a, w) => a + w.count('handled'), 0),
          failedLogLines: workers.reduce((a, w) => a + w.count('failed, left for redelivery'), 0),
          deadLetters: verdict.observed.deadLetters.length,
          brokerDeadLetters: deadQueues,
          publishRetries: streamed.retries + lateStats.retries,
          publisherErrors: publisherErrors.length,
          ms: { workersReady: readyAfterMs, publish: publishMs, settledAfterRestart: settledAfterRestartMs, total: Date.now() - started },
        };
        console.log(`cluster e2e (${broker.label}): ${JSON.stringify(figures)}`);

        const context = JSON.stringify({ counts: verdict.counts, timeline }, null, 1);
        expect(verdict.problems, context).toEqual([]);
        expect(verdict.observed.instances).toBe(ORDERS);
        expect(verdict.observed.compensationSteps).toBe(byOutcome.nostock + 2 * byOutcome.noship);
        expect(deadQueues.filter(([, n]) => n > 0), 'messages in the broker dead-letter queues').toEqual([]);
      },
      150_000,
    );
  });
}
