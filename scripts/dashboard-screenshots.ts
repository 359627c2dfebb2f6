/**
 * `npm run screenshots`: the dashboard's pictures in docs/images, taken by headless Chromium at 1280×800.
 *
 * Seeds an embedded PGlite database (in memory; or the PostgreSQL at DATABASE_URL, migrated first) with
 * the order saga in every status (tests/dashboard/seed.ts, plus two runs of the order demo with its
 * simulated services), serves the API and dashboard on a free port, and photographs the overview, the
 * filtered instance list, the instance page of an order whose compensation failed, and the dead letters.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OrderSaga, runOrderDemo } from '../examples/order-saga.ts';
import { serveSagaflow } from '../src/http/index.ts';
import { SagaOperations } from '../src/ops/index.ts';
import { createPrismaRepository } from '../src/prisma/index.ts';
import { launchChromium } from '../tests/dashboard/browser.ts';
import { orderOrchestrator, seedOrders } from '../tests/dashboard/seed.ts';

const output = new URL('../docs/images/', import.meta.url).pathname;

async function main(): Promise<void> {
  const repository = process.env.DATABASE_URL
    ? await createPrismaRepository({ databaseUrl: process.env.DATABASE_URL, migrate: true })
    : await createPrismaRepository({ directory: 'memory://' });
  const orchestrator = orderOrchestrator(repository);
  const ops = new SagaOperations({ repository, sagas: [OrderSaga], orchestrator });
  const server = await serveSagaflow({ ops, port: 0 });
  const browser = await launchChromium();
  try {
    const seeded = await seedOrders(repository);
    for (const runId of ['a1', 'b2']) await runOrderDemo({ repository, runId });
    mkdirSync(output, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const shots: Array<[file: string, hash: string, ready: string]> = [
      ['dashboard-overview.png', '#/', '.saga-card'],
      ['dashboard-instances.png', '#/instances?saga=order&status=active,compensation_failed,faulted', 'table.instances tbody tr'],
      ['dashboard-instance.png', `#/instances/${seeded.ids.get(seeded.stuckOrder)}`, '#diagram[data-rendered="true"]'],
      ['dashboard-dead-letters.png', '#/dead-letters', 'table.dead-letters tbody tr'],
    ];
    for (const [file, hash, ready] of shots) {
      await page.goto(`${server.url}/${hash}`);
      await page.locator(ready).first().waitFor({ timeout: 20_000 });
      await page.locator('#live[data-state="on"]').waitFor({ timeout: 20_000 });
      await page.screenshot({ path: join(output, file) });
      console.log(`wrote docs/images/${file}`);
    }
  } finally {
    await browser.close();
    await server.close();
    await orchestrator.close();
    await repository.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
