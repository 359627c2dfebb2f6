/**
 * @module tests/fault/fault-worker
 *
 * One worker: a Prisma repository on PostgreSQL, an in-process bus with the simulated services on it,
 * and a SagaOrchestrator with a short outbox lease, a fast relay and a periodic `recover()`. The
 * worker process (`worker.ts`) runs one with kill points armed; the in-process tests run one without.
 */
import { InProcessBus, SagaOrchestrator } from '../../src/index.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { Chaos, killingRepository } from './chaos.ts';
import { EffectsStore } from './effects.ts';
import { faultSaga, startServices } from './fault-saga.ts';

export interface FaultWorkerOptions {
  readonly databaseUrl: string;
  readonly chaos?: Chaos;
  /** The outbox lease and the relay's claim lease, in ms. Default 1500. */
  readonly leaseMs?: number;
  /** The relay's pause when nothing was due, in ms. Default 75. */
  readonly pollIntervalMs?: number;
  /** How often to resume compensations left `compensating`, in ms; 0 for never. Default 2000. */
  readonly recoverEveryMs?: number;
  /** `receive()` dead-letters larger payloads. Default 32 KiB. */
  readonly maxPayloadBytes?: number;
  readonly poolSize?: number;
  /**
   * Wake this process's relay when a service staged a reply (default true). Off, replies wait for the
   * next poll of whichever relay comes first, so consecutive steps of a saga spread over processes.
   */
  readonly wakeRelay?: boolean;
  /** The repository's instance cache (on by default in `createPrismaRepository`). Default true. */
  readonly instanceCache?: boolean;
  readonly onError?: (error: unknown) => void;
}

export interface FaultWorkerStats {
  /** Instances a periodic `recover()` resumed (start-up recovery not included). */
  recovered: number;
  /** Instances the start-up `recover()` resumed. */
  recoveredAtStart: number;
  errors: number;
}

export interface FaultWorker {
  readonly orchestrator: SagaOrchestrator;
  readonly repository: PrismaSagaRepository;
  readonly stats: FaultWorkerStats;
  /** Stops recovery, the relay and the services, then closes the pools. */
  stop(): Promise<void>;
}

/**
 * Starts a worker: services subscribed first (on the in-process bus, messages nobody subscribes to
 * are not even staged), then `recover()` and the relay.
 *
 * @example
 * const worker = await startFaultWorker({ databaseUrl: db.url });
 * await worker.stop();
 */
export async function startFaultWorker(options: FaultWorkerOptions): Promise<FaultWorker> {
  const chaos = options.chaos ?? Chaos.none;
  const leaseMs = options.leaseMs ?? 1_500;
  const stats: FaultWorkerStats = { recovered: 0, recoveredAtStart: 0, errors: 0 };
  const onError = (error: unknown) => {
    stats.errors++;
    options.onError?.(error);
  };
  const store = await createPrismaRepository({
    databaseUrl: options.databaseUrl,
    poolSize: options.poolSize ?? 8,
    ...(options.instanceCache === false && { cache: false }),
  });
  const effects = new EffectsStore(options.databaseUrl);
  const repository = killingRepository(store, chaos);
  const bus = new InProcessBus();
  let orchestrator: SagaOrchestrator | undefined;
  const wake = options.wakeRelay === false ? () => {} : () => orchestrator?.relay?.wake();
  const stopServices = startServices(bus, { repository, effects, chaos, wake });
  orchestrator = new SagaOrchestrator({
    sagas: [faultSaga({ effects, chaos })],
    repository,
    bus,
    outbox: { leaseMs },
    // recover() takes over a compensation only after this long without a write: a killed worker's runs
    // are resumed within it, a live worker's are left alone.
    compensationLeaseMs: leaseMs,
    relay: { leaseMs, pollIntervalMs: options.pollIntervalMs ?? 75, batchSize: 25, concurrency: 8 },
    maxPayloadBytes: options.maxPayloadBytes ?? 32 * 1024,
    onError,
  });
  const o = orchestrator;

  stats.recoveredAtStart = await o.recover();
  o.relay?.start();

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let recovering: Promise<void> | undefined;
  const every = options.recoverEveryMs ?? 2_000;
  const schedule = () => {
    if (stopped || every <= 0) return;
    timer = setTimeout(() => {
      recovering = o.recover().then(
        (n) => void (stats.recovered += n),
        (error: unknown) => onError(error),
      );
      void recovering.finally(schedule);
    }, every);
  };
  schedule();

  return {
    orchestrator: o,
    repository: store,
    stats,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await recovering;
      await o.close();
      await o.idle();
      stopServices();
      await effects.close();
      await store.close();
    },
  };
}
