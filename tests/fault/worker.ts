/**
 * @module tests/fault/worker
 *
 * The worker process the fault-injection driver spawns (`node --import tsx tests/fault/worker.ts`) and
 * SIGKILLs. Configured by environment:
 * - `FAULT_DATABASE_URL` (required);
 * - `FAULT_KILL_ODDS`: JSON `{ "after-commit": 0.02, … }`, probabilities of killing itself at each kill point;
 * - `FAULT_CHAOS_UNTIL`: epoch ms after which no kill point fires;
 * - `FAULT_LEASE_MS`, `FAULT_POLL_MS`, `FAULT_RECOVER_MS`;
 * - `FAULT_INSTANCE_CACHE=0` to open the repository without its instance cache;
 * - `FAULT_WAKE_RELAY=0` to leave replies to the next poll of any relay.
 *
 * Prints `FAULT-READY <pid>` once it processes messages; SIGTERM stops it cleanly.
 */
import { Chaos, READY_MARK, STATS_MARK, type KillOdds } from './chaos.ts';
import { startFaultWorker } from './fault-worker.ts';

const url = process.env.FAULT_DATABASE_URL;
if (!url) {
  console.error('FAULT_DATABASE_URL is not set');
  process.exit(2);
}
const numeric = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);
const odds = JSON.parse(process.env.FAULT_KILL_ODDS ?? '{}') as KillOdds;
const chaos = new Chaos(odds, numeric('FAULT_CHAOS_UNTIL') ?? 0);

process.on('unhandledRejection', (error) => {
  console.error('[worker] unhandled rejection', error);
  process.exit(1);
});

let errorsLogged = 0;
const worker = await startFaultWorker({
  databaseUrl: url,
  chaos,
  ...(numeric('FAULT_LEASE_MS') !== undefined && { leaseMs: numeric('FAULT_LEASE_MS')! }),
  ...(numeric('FAULT_POLL_MS') !== undefined && { pollIntervalMs: numeric('FAULT_POLL_MS')! }),
  ...(numeric('FAULT_RECOVER_MS') !== undefined && { recoverEveryMs: numeric('FAULT_RECOVER_MS')! }),
  instanceCache: process.env.FAULT_INSTANCE_CACHE !== '0',
  wakeRelay: process.env.FAULT_WAKE_RELAY !== '0',
  // Errors are expected while other workers die (a lease taken over, a conflict); a few are kept for diagnosis.
  onError: (error) => {
    if (errorsLogged++ < 20) console.error('[worker]', error instanceof Error ? `${error.name}: ${error.message}` : error);
  },
});
process.stdout.write(`${READY_MARK}${process.pid} ${JSON.stringify({ recoveredAtStart: worker.stats.recoveredAtStart })}\n`);

process.once('SIGTERM', () => {
  worker.stop().then(
    () => {
      process.stdout.write(`${STATS_MARK}${JSON.stringify(worker.stats)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error('[worker] stop failed', error);
      process.exit(1);
    },
  );
});
