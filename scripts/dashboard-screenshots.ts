/**
 * `npm run screenshots`: the dashboard's pictures in docs/images, taken by headless Chromium at 1280×800.
 *
 * Seeds an embedded PGlite database (in memory; or the PostgreSQL at DATABASE_URL, migrated first) with
 * the order saga in every status (tests/dashboard/seed.ts, plus two runs of the order demo with its
 * simulated services), serves the API and dashboard on a free port, and photographs the overview, the
 * filtered instance list, the instance page of an order whose compensation failed, the dead letters, and
 * the search by business data (the overview shows the stuck, dead-letter and last-hour panels); then the
 * repairs: an instance's timeline with operators' actions, the send-event form, a bulk dry run, the audit
 * trail, and what a viewer sees. Signed in as the principals `ana` (operator) and `grafana` (viewer).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OrderSaga, runOrderDemo } from '../examples/order-saga.ts';
import { serveSagaflow } from '../src/http/index.ts';
import { SagaOperations } from '../src/ops/index.ts';
import { createPrismaRepository } from '../src/prisma/index.ts';
import { launchChromium } from '../tests/dashboard/browser.ts';
import type { Page } from 'playwright-core';
import { orderOrchestrator, seedOrders } from '../tests/dashboard/seed.ts';

const output = new URL('../docs/images/', import.meta.url).pathname;

async function main(): Promise<void> {
  const repository = process.env.DATABASE_URL
    ? await createPrismaRepository({ databaseUrl: process.env.DATABASE_URL, migrate: true })
    : await createPrismaRepository({ directory: 'memory://' });
  const orchestrator = orderOrchestrator(repository);
  const ops = new SagaOperations({ repository, sagas: [OrderSaga], orchestrator });
  const OPERATOR = 'screenshot-operator-token';
  const VIEWER = 'screenshot-viewer-token-0';
  const principals = [
    { name: 'ana', role: 'operator' as const, token: OPERATOR },
    { name: 'grafana', role: 'viewer' as const, token: VIEWER },
  ];
  const server = await serveSagaflow({ ops, port: 0, principals });
  const browser = await launchChromium();
  try {
    const seeded = await seedOrders(repository);
    for (const runId of ['a1', 'b2']) await runOrderDemo({ repository, runId });
    mkdirSync(output, { recursive: true });
    const signedIn = async (token: string): Promise<Page> => {
      const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await p.addInitScript((t) => (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('sagaflow.token', t), token);
      return p;
    };
    const page = await signedIn(OPERATOR);
    const shots: Array<[file: string, hash: string, ready: string]> = [
      ['dashboard-overview.png', '#/', '.console-panels[data-ready="true"]'],
      ['dashboard-instances.png', '#/instances?saga=order&status=active,compensation_failed,faulted', 'table.instances tbody tr'],
      ['dashboard-instance.png', `#/instances/${seeded.ids.get(seeded.stuckOrder)}`, '#diagram[data-rendered="true"]'],
      ['dashboard-dead-letters.png', '#/dead-letters', 'table.dead-letters tbody tr'],
      ['dashboard-search.png', `#/search?where=${encodeURIComponent('data.total > 50\ndata.customerId != bob')}&saga=order`, 'table.search-results tbody tr'],
    ];
    for (const [file, hash, ready] of shots) {
      await page.goto(`${server.url}/${hash}`);
      await page.locator(ready).first().waitFor({ timeout: 20_000 });
      await page.locator('#live[data-state="on"]').waitFor({ timeout: 20_000 });
      await page.screenshot({ path: join(output, file) });
      console.log(`wrote docs/images/${file}`);
    }

    // Repairs, recorded as ana: a send, a transition with a data patch, a cancel.
    const ana = (reason: string) => ({ principal: 'ana', reason });
    const waiting = seeded.ids.get('order-waiting-1')!;
    await ops.repair.send(waiting, { type: 'PaymentProcessed', payload: { orderId: 'order-waiting-1', transactionId: 'tx-phone', amount: 18.5 } }, ana('paid by phone, confirmed by the bank'));
    await ops.repair.transition(waiting, { state: 'AwaitingShipment', patch: { inventoryReservationId: 'res-manual-7' } }, ana('reserved by hand in the warehouse'));
    await ops.repair.cancel(seeded.ids.get('order-reserving')!, {}, ana('customer withdrew the order'));
    const shoot = async (p: Page, file: string) => {
      await p.screenshot({ path: join(output, file) });
      console.log(`wrote docs/images/${file}`);
    };
    await page.goto(`${server.url}/#/instances/${waiting}`);
    await page.locator('#timeline li.operator').first().waitFor();
    await shoot(page, 'dashboard-repair-timeline.png');
    await page.click('#action-send');
    await page.selectOption('#repair-type', 'OrderShipped');
    await page.fill('#repair-reason', 'carrier confirmed by phone');
    await shoot(page, 'dashboard-repair-send.png');
    await page.click('#repair-cancel');
    await page.goto(`${server.url}/#/instances?saga=order&state=AwaitingPayment`);
    await page.locator('table.instances tbody tr').first().waitFor();
    await page.click('#bulk-instances');
    await page.fill('#repair-reason', 'promotion withdrawn');
    await page.click('#repair-submit');
    await page.locator('#repair-step').waitFor();
    await shoot(page, 'dashboard-repair-bulk.png');
    await page.click('#repair-cancel');
    await page.goto(`${server.url}/#/audit`);
    await page.locator('table.audit tbody tr').first().waitFor();
    await shoot(page, 'dashboard-audit.png');
    const viewer = await signedIn(VIEWER);
    await viewer.goto(`${server.url}/#/instances/${seeded.ids.get(seeded.stuckOrder)}`);
    await viewer.locator('#actions-off').waitFor();
    await viewer.locator('#diagram[data-rendered="true"]').waitFor();
    await shoot(viewer, 'dashboard-viewer.png');
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
