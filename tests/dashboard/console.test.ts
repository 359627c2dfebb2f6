/**
 * The operator's console in the dashboard, end to end: headless Chromium on the real API over
 * PostgreSQL, seeded by the real orchestrator (tests/dashboard/seed.ts). The overview's stuck,
 * dead-letter and last-hour panels, and the search page with data conditions and its total.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { launchChromiumOrError, openPage, usable, type WatchedPage } from './browser.ts';
import { startDashboardServer, type DashboardServer } from './server.ts';
import { seedOrders, type Seeded } from './seed.ts';

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

const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();

describe('dashboard: operator console', () => {
  it('shows stuck instances, dead letters by reason and type, and the last hour per saga on the overview', async () => {
    const page = await open();
    await page.locator('.console-panels[data-ready="true"]').waitFor();
    const stuck = page.locator('[data-panel="stuck"]');
    expect(await stuck.locator('tr[data-saga="order"][data-kind="compensation_failed"] .count').textContent()).toBe('1');
    expect(await texts(page, '[data-panel="stuck"] .stuck-items td.mono')).toEqual([seeded.stuckOrder]);
    await stuck.locator(`a:text("${seeded.stuckOrder}")`).click();
    await page.waitForURL(new RegExp(`#/instances/${seeded.ids.get(seeded.stuckOrder)}$`));

    await page.goto(`${server.url}/`);
    await page.locator('.console-panels[data-ready="true"]').waitFor();
    const letters = page.locator('[data-panel="dead-letters"]');
    expect(await letters.locator('h2').textContent()).toBe('Dead letters (2)');
    const byReason = await letters.locator('.by-reason tbody tr').evaluateAll((rows) => rows.map((r) => [(r as unknown as { dataset: Record<string, string> }).dataset.reason, r.querySelector('.count')!.textContent]));
    expect(byReason.reduce((n, [, c]) => n + Number(c), 0)).toBe(2);
    expect((await texts(page, '[data-panel="dead-letters"] .by-type td.mono')).sort()).toEqual(['OrderCancelled', 'PaymentProcessed']);

    const order = page.locator('[data-panel="throughput"] tr[data-saga="order"]');
    expect(Number(await order.locator('.applied').textContent())).toBeGreaterThan(10);
    expect(await order.locator('.compensated').textContent()).toBe('1'); // the refunded order
    expect(Number(await order.locator('.failed').textContent())).toBeGreaterThanOrEqual(2); // the stuck refund and the early payment
  });

  it('shows the total that match above a filtered instance list', async () => {
    const page = await open('#/instances?saga=order&status=active');
    await expect.poll(() => page.locator('#result-count').getAttribute('data-total')).toBe('4');
    expect(await page.locator('#result-count').textContent()).toBe('4 instances');
  });

  it('searches by data conditions with the total count, keeps the search in the URL, and explains a bad condition', async () => {
    const page = await open('#/search');
    await page.locator('textarea[name="where"]').waitFor();
    await page.fill('textarea[name="where"]', 'data.total > 100\ndata.customerId != bob');
    await page.click('form.search-form button[type="submit"]');
    await page.waitForURL(/#\/search\?/);
    await expect.poll(() => page.locator('#search-total').getAttribute('data-total')).toBe('1');
    expect(await texts(page, 'table.search-results td.correlation')).toEqual(['order-waiting-2']);

    // The URL is the search: a new tab shows the same answer.
    const again = await open(new URL(page.url()).hash);
    await expect.poll(() => again.locator('#search-total').textContent()).toBe('1 instance match');

    await page.goto(`${server.url}/#/search?prefix=order-waiting-`);
    await expect.poll(() => page.locator('#search-total').getAttribute('data-total')).toBe('2');

    await page.goto(`${server.url}/#/search?where=${encodeURIComponent('total > 1')}`);
    await expect.poll(() => page.locator('.error-box strong').textContent()).toBe('SAGA_FILTER_INVALID');
    expect(await page.locator('textarea[name="where"]').inputValue()).toBe('total > 1');
    // The browser logs the refused call itself; that one is expected.
    const watched = pages[0]!;
    expect(watched.errors.filter((e) => /status of 400/.test(e))).toHaveLength(1);
    watched.errors.splice(0, watched.errors.length, ...watched.errors.filter((e) => !/status of 400/.test(e)));
  });
});
