/**
 * @module bench/hot-instance-worker
 *
 * One process of the hot-instance workload (`bench/hot-instance.ts`, `tests/prisma/hot-instance.test.ts`):
 * opens the repository with default options, prints `HOT-READY`, waits for a line on stdin, then sends
 * all its events for the ONE instance at once (half through `publish()`, half through `receive()`, as a
 * transport would) and prints `HOT-DONE <json>` with what each did. Configured by environment:
 * `HOT_DATABASE_URL`, `HOT_CORRELATION_ID`, `HOT_WORKER` (its index), `HOT_EVENTS`.
 */
import { performance } from 'node:perf_hooks';
import { createEnvelope } from '../src/messages/envelope.ts';
import { createPrismaRepository } from '../src/prisma/create-repository.ts';
import { SagaOrchestrator } from '../src/index.ts';
import { Bumped, DONE_MARK, HotCounter, READY_MARK, type HotWorkerReport } from './hot-instance-saga.ts';

const url = process.env.HOT_DATABASE_URL!;
const correlationId = process.env.HOT_CORRELATION_ID!;
const worker = Number(process.env.HOT_WORKER);
const events = Number(process.env.HOT_EVENTS);

const repository = await createPrismaRepository({ databaseUrl: url });
const orchestrator = new SagaOrchestrator({ sagas: [HotCounter], repository });
// Warm up connections and prepared statements on an instance of its own, so every worker starts level.
await orchestrator.publish(Bumped, { worker, seq: -1 }, { correlationId: `${correlationId}-warm-${worker}` });
process.stdout.write(`${READY_MARK}\n`);
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

const start = performance.now();
const failed: Record<string, number> = {};
let applied = 0;
let deadLettered = 0;
let lastMs = 0;
await Promise.all(
  Array.from({ length: events }, async (_, seq) => {
    try {
      if (seq % 2 === 0) {
        const result = await orchestrator.publish(Bumped, { worker, seq }, { correlationId });
        if (result.outcomes[0]?.result === 'applied') applied++;
        else failed[`not applied: ${result.outcomes[0]?.result}`] = (failed[`not applied: ${result.outcomes[0]?.result}`] ?? 0) + 1;
      } else {
        const envelope = createEnvelope('event', Bumped.name, { worker, seq }, { correlationId });
        const received = await orchestrator.receive(envelope);
        if (received.status === 'dead-lettered') {
          deadLettered++;
          failed[received.deadLetter.errorCode] = (failed[received.deadLetter.errorCode] ?? 0) + 1;
        } else if (received.result.outcomes[0]?.result === 'applied') applied++;
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name;
      failed[code] = (failed[code] ?? 0) + 1;
    } finally {
      lastMs = Math.max(lastMs, performance.now() - start);
    }
  }),
);
const report: HotWorkerReport = { worker, applied, failed, deadLettered, lastMs: Math.round(lastMs) };
process.stdout.write(`${DONE_MARK}${JSON.stringify(report)}\n`);
await orchestrator.close();
await repository.close();
