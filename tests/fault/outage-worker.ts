/**
 * @module tests/fault/outage-worker
 *
 * The worker process of the outage scenario (`node --import tsx tests/fault/outage-worker.ts`): a
 * `WorkerHost` over an orchestrator that runs the outage saga and its three command handlers, with its
 * relay delivering the orders the driver staged. Configured by environment:
 * - `OUTAGE_DATABASE_URL`: the saga's database (on the cluster the driver crashes);
 * - `OUTAGE_EFFECTS_URL`: where handlers record their effects (another server).
 *
 * Writes JSON log lines to stdout (the host's and the orchestrator's logger), first
 * `{"msg":"outage-worker ready","healthPort":…}`; SIGTERM stops it cleanly.
 */
import { InProcessBus, SagaOrchestrator } from '../../src/index.ts';
import { jsonLogger, WorkerHost } from '../../src/host/index.ts';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import { handleOutageCommands, OutageEffects, outageSaga } from './outage-saga.ts';

/** Run leases: longer than an outage, so a command's owner outlives it; short, so a real takeover would show. */
export const OUTAGE_COMMAND_LEASE_MS = 6_000;

const url = process.env.OUTAGE_DATABASE_URL;
const effectsUrl = process.env.OUTAGE_EFFECTS_URL;
if (!url || !effectsUrl) {
  console.error('OUTAGE_DATABASE_URL and OUTAGE_EFFECTS_URL must be set');
  process.exit(2);
}
process.on('unhandledRejection', (error) => {
  console.error('[outage-worker] unhandled rejection', error);
  process.exit(1);
});

const logger = jsonLogger({ minLevel: 'info' });
const effects = new OutageEffects(effectsUrl);
const repository = await createPrismaRepository({ databaseUrl: url, poolSize: 8 });
const orchestrator = new SagaOrchestrator({
  sagas: [outageSaga(effects)],
  repository,
  bus: new InProcessBus(),
  subscribe: false,
  outbox: { leaseMs: 1_500 },
  relay: { leaseMs: 1_500, pollIntervalMs: 100, batchSize: 50 },
  compensationLeaseMs: OUTAGE_COMMAND_LEASE_MS,
  commands: { leaseMs: OUTAGE_COMMAND_LEASE_MS },
  logger,
});
handleOutageCommands(orchestrator, effects);
const host = new WorkerHost({ orchestrator, logger, health: { port: 0 }, handleSignals: false, concurrency: 32, name: 'outage-worker' });
await host.start();
process.stdout.write(`${JSON.stringify({ msg: 'outage-worker ready', healthPort: host.healthPort, pid: process.pid })}\n`);

process.once('SIGTERM', () => {
  host
    .stop('SIGTERM')
    .then(async () => {
      await effects.close();
      await repository.close();
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error('[outage-worker] stop failed', error);
      process.exit(1);
    });
});
