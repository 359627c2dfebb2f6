/**
 * A worker process for the evolution tests (`node --import tsx tests/evolution/note-worker.ts`): applies
 * `ShipmentNote` events to the instances named in `EVO_IDS`, round after round, until SIGTERM, with the
 * version-2 shipment saga (`EVO_SAGA=v1` for the old code). Prints `EVO-READY` once connected, starts
 * when a line `go` arrives on stdin, and on SIGTERM `EVO-STATS {"applied":n,"errors":n}` once the event in progress finished.
 */
import { SagaOrchestrator } from '../../src/index.ts';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import { Note } from './fixtures/events.ts';
import { ShipmentV1 } from './fixtures/v1.ts';
import { ShipmentV2 } from './fixtures/v2.ts';

const url = process.env.EVO_DATABASE_URL!;
const ids = (process.env.EVO_IDS ?? '').split(',').filter(Boolean);
if (process.env.EVO_REVERSE === '1') ids.reverse();
const repository = await createPrismaRepository({ databaseUrl: url, poolSize: 2 });
const orchestrator = new SagaOrchestrator({
  sagas: [process.env.EVO_SAGA === 'v1' ? ShipmentV1 : ShipmentV2],
  repository,
  relay: false,
  subscribe: false,
  startupCheck: 'off',
  conflictRetry: { maxAttempts: 50 },
});
let stopping = false;
process.once('SIGTERM', () => void (stopping = true));
let applied = 0;
let errors = 0;
process.stdout.write('EVO-READY\n');
await new Promise<void>((resolve) => {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => String(chunk).includes('go') && resolve());
});
process.stdin.pause();
while (!stopping) {
  for (const id of ids) {
    if (stopping) break;
    try {
      const result = await orchestrator.publish(Note, { orderId: id });
      if (result.outcomes[0]?.result === 'applied') applied++;
    } catch (error) {
      if (errors++ < 5) console.error('[evo-worker]', error instanceof Error ? `${error.name}: ${error.message}` : error);
    }
  }
}
await orchestrator.close();
await repository.close();
process.stdout.write(`EVO-STATS ${JSON.stringify({ applied, errors })}\n`);
