/**
 * The dashboard end to end: headless Chromium on the real API over PostgreSQL, filled by the real
 * orchestrator running the order saga (tests/dashboard/seed.ts). The tests run in order: the first ones
 * read what the seed left, the later ones change it (a live update, a replay, a discard).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { OrderCreated, PaymentProcessed } from '../../examples/order-saga.ts';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { insertOf, makeInstance, updateOf } from '../helpers/records.ts';
import { launchChromiumOrError, openPage, usable, type WatchedPage } from './browser.ts';
import { holdLiveFeed, startDashboardServer, type DashboardServer } from './server.ts';
import { orderOrchestrator, seedOrders, type Seeded } from './seed.ts';

let db: TestDatabase;
let server: DashboardServer;
let seeded: Seeded;
let browser: Browser | Error;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  [browser, server] = await Promise.all([launchChromiumOrError(), startDashboardServer(db.url)]);
  seeded = await seedOrders(server.repository);
});

afterAll(async () => {
  if (browser && !(browser instanceof Error)) await browser.close();
  await server?.close();
  await db?.drop();
});

afterEach(async () => {
  const errors = pages.flatMap((p) => p.errors);
  await Promise.all(pages.splice(0).map((p) => p.page.close()));
  expect(errors).toEqual([]);
});

async function open(hash = ''): Promise<Page> {
  const watched = await openPage(usable(browser));
  pages.push(watched);
  await watched.page.goto(`${server.url}/${hash}`);
  return watched.page;
}

/** Clicks an action button, says why in its dialog, and submits it. */
async function act(page: Page, button: string, reason = 'dashboard test'): Promise<void> {
  await page.click(button);
  await page.fill('#repair-reason', reason);
  await page.click('#repair-submit');
}

const rowIds = (page: Page) => page.locator('table.instances tbody tr td.correlation').allTextContents();
const cell = (page: Page, state: string, status: string) =>
  page.locator(`.saga-card[data-saga="order"] td[data-state="${state}"][data-status="${status}"]`);

describe('dashboard', () => {
  it('shows every saga with its instances counted per state and status, each count linking to the filtered list', async () => {
    const page = await open();
    await expect.poll(() => page.locator('.saga-card[data-saga="order"] .saga-total').textContent()).toBe('8 instances');
    expect(await cell(page, 'AwaitingPayment', 'active').textContent()).toBe('3');
    expect(await cell(page, 'AwaitingInventory', 'active').textContent()).toBe('1');
    expect(await cell(page, 'Completed', 'completed').textContent()).toBe('1');
    expect(await cell(page, 'Failed', 'completed').textContent()).toBe('1');
    expect(await cell(page, 'Failed', 'faulted').textContent()).toBe('1');
    expect(await cell(page, 'Failed', 'compensation_failed').textContent()).toBe('1');
    expect(await cell(page, 'AwaitingShipment', 'active').textContent()).toBe('·');
    // The loaded definition's version; nothing runs on an older one.
    expect(await page.locator('.saga-card[data-saga="order"] .definition-version').textContent()).toBe('v1');
    expect(await page.locator('.saga-card[data-saga="order"] .old-versions').count()).toBe(0);
    // What needs a look first.
    expect(await page.locator('[data-tile="compensation_failed"] .value').textContent()).toBe('1');
    expect(await page.locator('[data-tile="dead-letters"] .value').textContent()).toBe('2');
    expect(await page.locator('[data-tile="active"] .value').textContent()).toBe('4');

    await cell(page, 'Failed', 'compensation_failed').locator('a').click();
    await page.waitForURL(/#\/instances\?saga=order&state=Failed&status=compensation_failed$/);
    await expect.poll(() => rowIds(page)).toEqual([seeded.stuckOrder]);
  });

  it('keeps the filters in a shareable URL: a reload or a new tab shows the same filtered list', async () => {
    const page = await open('#/instances');
    await page.locator('table.instances tbody tr').first().waitFor();
    await page.selectOption('select[name="saga"]', 'order');
    await page.waitForURL(/saga=order/);
    await page.selectOption('select[name="state"]', 'AwaitingPayment');
    await page.waitForURL(/state=AwaitingPayment/);
    await page.check('input[name="status"][value="active"]');
    await page.waitForURL(/status=active/);
    const expected = ['order-late', 'order-waiting-2', 'order-waiting-1'];
    await expect.poll(() => rowIds(page)).toEqual(expected);
    const url = page.url();
    expect(new URL(url).hash).toBe('#/instances?saga=order&state=AwaitingPayment&status=active');

    await page.reload();
    await expect.poll(() => rowIds(page)).toEqual(expected);
    expect(await page.inputValue('select[name="state"]')).toBe('AwaitingPayment');
    expect(await page.isChecked('input[name="status"][value="active"]')).toBe(true);
    expect(await page.isChecked('input[name="status"][value="completed"]')).toBe(false);

    const shared = await open(new URL(url).hash);
    await expect.poll(() => rowIds(shared)).toEqual(expected);

    // Two statuses: a comma list in the URL.
    await page.check('input[name="status"][value="compensation_failed"]');
    await page.selectOption('select[name="state"]', '');
    await page.waitForURL((u) => u.hash === '#/instances?saga=order&status=active,compensation_failed');
    await expect.poll(async () => (await rowIds(page)).sort()).toEqual(['order-late', 'order-reserving', 'order-stuck', 'order-waiting-1', 'order-waiting-2']);
  });

  it('finds an instance by its correlation id and opens it', async () => {
    const page = await open('#/instances');
    await page.locator('table.instances tbody tr').first().waitFor();
    await page.fill('input[name="correlationId"]', 'order-refunded');
    await page.press('input[name="correlationId"]', 'Enter');
    await page.waitForURL(/correlationId=order-refunded/);
    await expect.poll(() => rowIds(page)).toEqual(['order-refunded']);
    await page.getByRole('link', { name: 'order-refunded' }).click();
    await page.waitForURL(new RegExp(`#/instances/${seeded.ids.get('order-refunded')}$`));
    await expect.poll(() => page.locator('#correlation-id').textContent()).toBe('order-refunded');
    expect(await page.locator('.instance-head [data-status]').textContent()).toBe('faulted');

    await page.goto(`${server.url}/#/instances?correlationId=no-such-order`);
    await page.locator('#no-results').waitFor();
  });

  it('shows an instance: header, timeline with messages sent, data, compensation stack top first, and the diagram with its state highlighted', async () => {
    const page = await open(`#/instances/${seeded.ids.get(seeded.stuckOrder)}`);
    await expect.poll(() => page.locator('#correlation-id').textContent()).toBe(seeded.stuckOrder);
    expect(await page.locator('.instance-head [data-status]').textContent()).toBe('compensation failed');
    expect(await page.locator('#instance-version').textContent()).toBe('7');
    expect(await page.locator('#instance-definition-version').textContent()).toBe('v1');
    expect(await page.locator('#instance-error').textContent()).toContain('SAGA_COMPENSATION_FAILED');

    // Newest first; each entry has the event, the states before and after, and what the write sent.
    const events = await page.locator('#timeline > li .event-type').allTextContents();
    expect(events).toEqual([
      'sagaflow.compensation.failed',
      'sagaflow.compensation.step',
      'ShippingFailed',
      'seed.refund-arguments-changed',
      'InventoryReserved',
      'PaymentProcessed',
      'OrderCreated',
    ]);
    const created = page.locator('#timeline > li[data-sequence="1"]');
    expect(await created.locator('.transition').textContent()).toBe('(new) → AwaitingPayment');
    expect(await created.locator('.sent').textContent()).toContain('ProcessPayment');
    expect(await page.locator('#timeline > li[data-sequence="6"] .sent').textContent()).toContain('ReleaseInventory');
    const payload = created.locator('details.expandable');
    expect(await payload.locator('pre').isVisible()).toBe(false);
    await payload.locator('summary').click();
    expect(await payload.locator('pre').textContent()).toContain('"customerId": "far-away"');

    expect(await page.locator('pre.data').textContent()).toContain(`"paymentTransactionId": "tx-${seeded.stuckOrder}"`);
    // The inventory release ran; the refund is still on top, where it failed.
    const stack = page.locator('#compensation-stack > li');
    expect(await stack.count()).toBe(1);
    expect(await stack.getAttribute('data-name')).toBe('refundPayment');

    await page.locator('#diagram[data-rendered="true"]').waitFor();
    const current = page.locator('#diagram svg g.node.current');
    expect(await current.count()).toBe(1);
    expect((await current.textContent())?.trim()).toBe('Failed');
    expect(await page.locator('#diagram svg g.node').count()).toBeGreaterThanOrEqual(6);

    // Retry: the step fails again (its arguments are still wrong), which the page says, and the timeline grows.
    await act(page, '#retry-compensation');
    await page.locator('.notice-error', { hasText: 'Compensation failed again' }).waitFor();
    await expect.poll(() => page.locator('#timeline > li .event-type').allTextContents()).toEqual([
      'retry-compensation',
      'sagaflow.compensation.failed',
      'sagaflow.compensation.retry',
      ...events,
    ]);
    expect(await page.locator('#instance-version').textContent()).toBe('10');
  });

  it('highlights the state of an active instance and lists its compensation stack', async () => {
    const page = await open(`#/instances/${seeded.ids.get('order-reserving')}`);
    await page.locator('#diagram[data-rendered="true"]').waitFor();
    expect((await page.locator('#diagram svg g.node.current').textContent())?.trim()).toBe('AwaitingInventory');
    expect(await page.locator('#compensation-stack > li').count()).toBe(1);
    expect(await page.locator('#compensation-stack').textContent()).toContain('"transactionId": "tx-order-reserving"');
    expect(await page.locator('#retry-compensation').count()).toBe(0);
  });

  it('updates rows and counts live when another orchestrator changes an instance, without a reload', async () => {
    const feed = await holdLiveFeed(server.url);
    try {
      const list = await open('#/instances?saga=order');
      const overview = await open('#/');
      await list.locator('table.instances tbody tr').first().waitFor();
      await overview.locator('.saga-card').waitFor();
      for (const page of [list, overview]) {
        await page.locator('#live[data-state="on"]').waitFor();
        await page.evaluate(() => ((globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true));
      }

      // Another process: its own connection pool and orchestrator.
      const repository = await createPrismaRepository({ databaseUrl: db.url, poolSize: 2 });
      const other = orderOrchestrator(repository);
      try {
        await other.publish(PaymentProcessed, { orderId: 'order-waiting-1', transactionId: 'tx-live', amount: 18.5 });
        await other.publish(OrderCreated, { orderId: 'order-live', customerId: 'heidi', total: 7, items: [{ sku: 'CUP', quantity: 1 }] });
      } finally {
        await other.close();
        await repository.close();
      }

      const row = list.locator(`tr[data-id="${seeded.ids.get('order-waiting-1')}"]`);
      await expect.poll(() => row.locator('.cell-state').textContent()).toBe('AwaitingInventory');
      expect(await row.locator('td.num').textContent()).toBe('2');
      await expect.poll(async () => (await rowIds(list))[0]).toBe('order-live');
      await expect.poll(() => cell(overview, 'AwaitingInventory', 'active').textContent()).toBe('2');
      // The two writes may reach the page in two refreshes: AwaitingPayment reads 2 between them (one left, one not yet come).
      await expect.poll(() => cell(overview, 'AwaitingPayment', 'active').textContent()).toBe('3');
      await expect.poll(() => overview.locator('.saga-card .saga-total').textContent()).toBe('9 instances');
      for (const page of [list, overview]) {
        expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
      }
    } finally {
      feed.close();
    }
  });

  it('filters dead letters by reason, shows one with its envelope, and replays it, which removes it', async () => {
    const page = await open('#/dead-letters');
    await expect.poll(() => page.locator('table.dead-letters tbody tr').count()).toBe(2);
    await page.selectOption('select[name="reason"]', 'rejected');
    await page.waitForURL(/reason=rejected/);
    await expect.poll(() => page.locator('table.dead-letters tbody tr').count()).toBe(1);

    await page.getByRole('link', { name: 'PaymentProcessed' }).click();
    await page.waitForURL(new RegExp(`#/dead-letters/${seeded.deadLetterId}$`));
    expect(await page.locator('#dead-letter-error').textContent()).toContain('SAGA_INSTANCE_NOT_FOUND');
    expect(await page.locator('pre.envelope').textContent()).toContain(`"correlationId": "${seeded.lateOrder}"`);

    await act(page, '#replay');
    await page.locator('.notice-ok', { hasText: 'Replayed: dispatched' }).waitFor();
    await page.waitForURL(/#\/dead-letters$/);
    await expect.poll(() => page.locator('table.dead-letters tbody tr').count()).toBe(1);
    expect((await fetch(`${server.url}/api/dead-letters/${seeded.deadLetterId}`)).status).toBe(404);
    const late = await server.repository.findByCorrelation('order', seeded.lateOrder, { fresh: true });
    expect(late?.state).toBe('AwaitingInventory');
  });

  it('discards a dead letter once the dialog is confirmed with a reason, and shows its payload as text, never as markup', async () => {
    const page = await open(`#/dead-letters/${seeded.unknownLetterId}`);
    const envelope = page.locator('pre.envelope');
    await envelope.waitFor();
    expect(await envelope.textContent()).toContain('<img src=x onerror=\\"alert(1)\\">');
    expect(await page.locator('pre.envelope img').count()).toBe(0);

    // Closing the dialog discards nothing.
    await page.click('#discard');
    await page.click('#repair-cancel');
    expect((await fetch(`${server.url}/api/dead-letters/${seeded.unknownLetterId}`)).status).toBe(200);
    await act(page, '#discard', 'nobody handles this type');
    await page.locator('.notice-ok', { hasText: 'Discarded.' }).waitFor();
    await page.locator('#no-results').waitFor();
    expect((await fetch(`${server.url}/api/dead-letters/${seeded.unknownLetterId}`)).status).toBe(404);
  });

  it('shows the newest 100 history rows of a long instance and loads older ones a page at a time', async () => {
    let instance = makeInstance({ sagaName: 'order', correlationId: 'order-long', state: 'AwaitingPayment', data: {} });
    await server.repository.commit(insertOf(instance));
    for (let i = 0; i < 129; i++) {
      const { commit, next } = updateOf(instance);
      await server.repository.commit(commit);
      instance = next;
    }
    const page = await open(`#/instances/${instance.id}`);
    await page.locator('#timeline').waitFor();
    expect(await page.locator('#timeline > li').count()).toBe(100);
    expect(await page.locator('#timeline > li').first().getAttribute('data-sequence')).toBe('130');
    expect(await page.getByText('Timeline (100 of 130)').count()).toBe(1);
    await page.click('#older-history');
    await expect.poll(() => page.locator('#timeline > li').count()).toBe(130);
    expect(await page.locator('#timeline > li').last().getAttribute('data-sequence')).toBe('1');
    expect(await page.locator('#older-history').count()).toBe(0);
  });
});
