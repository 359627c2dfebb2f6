/**
 * The repairs from the dashboard, end to end in headless Chromium over PostgreSQL, signed in as named
 * principals: an operator sends an event from its schema's form, transitions with a data patch, cancels,
 * acts in bulk by the list's filter after a dry run, and finds it all in the timeline and the audit page;
 * a viewer sees who it is, no action, and is refused by the API when it forges one. Runs in order.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { launchChromiumOrError, openPage, usable, type WatchedPage } from './browser.ts';
import { startDashboardServer, type DashboardServer } from './server.ts';
import { seedOrders, type Seeded } from './seed.ts';

const OPERATOR = 'operator-token-0123456789';
const VIEWER = 'viewer-token-0123456789ab';
let db: TestDatabase;
let server: DashboardServer;
let seeded: Seeded;
let browser: Browser | Error;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  [browser, server] = await Promise.all([
    launchChromiumOrError(),
    startDashboardServer(db.url, {
      principals: [
        { name: 'ana', role: 'operator', token: OPERATOR },
        { name: 'grafana', role: 'viewer', token: VIEWER },
      ],
    }),
  ]);
  seeded = await seedOrders(server.repository);
});

afterAll(async () => {
  if (browser && !(browser instanceof Error)) await browser.close();
  await server?.close();
  await db?.drop();
});

afterEach(async () => {
  // A refusal the page shows in its dialog is logged by the browser as a failed load (422): expected here.
  const errors = pages.flatMap((p) => p.errors).filter((e) => !/status of 422/.test(e));
  await Promise.all(pages.splice(0).map((p) => p.page.close()));
  expect(errors).toEqual([]);
});

/** A page signed in with `token` (as the token dialog would have stored it for the tab). */
async function open(token: string, hash: string): Promise<Page> {
  const watched = await openPage(usable(browser));
  pages.push(watched);
  await watched.page.addInitScript((t) => (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('sagaflow.token', t), token);
  await watched.page.goto(`${server.url}/${hash}`);
  return watched.page;
}

const instancePage = (correlationId: string) => `#/instances/${seeded.ids.get(correlationId)}`;
const stored = (correlationId: string) => server.repository.findByCorrelation('order', correlationId, { fresh: true });

describe('repairs from the dashboard', () => {
  it('shows who is signed in; an operator sends an event from its schema form, and a payload the schema refuses is shown in the dialog', async () => {
    const page = await open(OPERATOR, instancePage('order-waiting-1'));
    await page.locator('#timeline').waitFor();
    expect(await page.locator('#principal').textContent()).toBe('ana · operator');

    await page.click('#action-send');
    await page.selectOption('#repair-type', 'PaymentProcessed');
    // The form starts from the event's schema.
    expect(JSON.parse(await page.inputValue('#repair-payload'))).toEqual({ orderId: '', transactionId: '', amount: 0 });
    await page.fill('#repair-payload', JSON.stringify({ orderId: 'order-waiting-1', transactionId: 'tx-phone', amount: 'lots' }));
    await page.fill('#repair-reason', 'paid by phone');
    await page.click('#repair-submit');
    await page.locator('#repair-error', { hasText: 'SAGA_PAYLOAD_INVALID' }).waitFor();
    expect((await stored('order-waiting-1'))?.state).toBe('AwaitingPayment');

    await page.fill('#repair-payload', JSON.stringify({ orderId: 'order-waiting-1', transactionId: 'tx-phone', amount: 18.5 }));
    await page.click('#repair-submit');
    await page.locator('.notice-ok', { hasText: 'Sent PaymentProcessed: now AwaitingInventory' }).waitFor();
    const top = page.locator('#timeline > li').first();
    await expect.poll(() => top.getAttribute('data-action')).toBe('send');
    expect(await top.locator('.principal').textContent()).toBe('ana');
    expect(await top.locator('.audit-reason').textContent()).toBe('“paid by phone”');
    expect(await top.locator('.audit-change').textContent()).toBe('AwaitingPayment · active · v1 → AwaitingInventory · active · v2');
    expect(await page.locator('#timeline > li').nth(1).locator('.event-type').textContent()).toBe('PaymentProcessed');
  });

  it('transitions with a data patch, refusing a missing reason in the dialog, and records it before → after', async () => {
    const page = await open(OPERATOR, instancePage('order-waiting-2'));
    await page.locator('#timeline').waitFor();
    await page.click('#action-transition');
    await page.selectOption('#repair-state', 'AwaitingShipment');
    await page.fill('#repair-patch', '{ "inventoryReservationId": "res-by-hand" }');
    await page.click('#repair-submit');
    await page.locator('#repair-error', { hasText: 'Say why' }).waitFor();
    await page.fill('#repair-reason', 'reserved by phone');
    await page.click('#repair-submit');
    await page.locator('.notice-ok', { hasText: 'Moved to AwaitingShipment' }).waitFor();
    await expect.poll(() => page.locator('#timeline > li').first().getAttribute('data-action')).toBe('transition');
    expect(await page.locator('pre.json.data').textContent()).toContain('"inventoryReservationId": "res-by-hand"');
    expect(await stored('order-waiting-2')).toMatchObject({ state: 'AwaitingShipment', status: 'active' });
  });

  it('cancels an instance: its compensation runs now and it ends faulted', async () => {
    const page = await open(OPERATOR, instancePage('order-reserving'));
    await page.locator('#timeline').waitFor();
    await page.click('#action-cancel');
    await page.fill('#repair-reason', 'customer withdrew');
    await page.click('#repair-submit');
    await page.locator('.notice-ok', { hasText: 'Cancelled: 1 step(s) compensated' }).waitFor();
    await expect.poll(() => page.locator('.instance-head [data-status]').textContent()).toBe('faulted');
    expect(await page.locator('#action-cancel').count()).toBe(0);
    expect(await page.locator('#instance-error').textContent()).toContain('cancelled by ana: customer withdrew');
  });

  it('acts in bulk on the list filter: a dry run shows the count, the confirmation acts on exactly those', async () => {
    const page = await open(OPERATOR, '#/instances?saga=order&state=AwaitingPayment');
    await page.locator('table.instances tbody tr').first().waitFor();
    await page.click('#bulk-instances');
    await page.selectOption('#repair-action', 'cancel');
    await page.fill('#repair-reason', 'promotion withdrawn');
    await page.click('#repair-submit');
    await page.locator('#repair-step', { hasText: '1 instance matches' }).waitFor(); // order-late, the one left waiting
    expect(await page.textContent('#repair-submit')).toBe('Cancel: 1');
    await page.click('#repair-submit');
    await page.locator('.notice-ok', { hasText: '1 of 1 done' }).waitFor();
    expect((await stored(seeded.lateOrder))?.status).toBe('faulted');
  });

  it('replays dead letters in bulk after a dry run; each that fails again is reported (the late payment finds its order cancelled)', async () => {
    const page = await open(OPERATOR, '#/dead-letters');
    await page.locator('table.dead-letters tbody tr').first().waitFor();
    await page.click('#bulk-dead-letters');
    await page.selectOption('#repair-action', 'replay');
    await page.fill('#repair-reason', 'after the fix');
    await page.click('#repair-submit');
    await page.locator('#repair-step', { hasText: '2 dead letters match' }).waitFor();
    await page.click('#repair-submit');
    await page.locator('.notice-error', { hasText: '0 of 2 done, 2 failed' }).waitFor();
  });

  it('lists every action on the audit page, newest first, with who and why (refused replays changed nothing and are not in it)', async () => {
    const page = await open(OPERATOR, '#/audit');
    await page.locator('table.audit tbody tr').first().waitFor();
    const rows = page.locator('table.audit tbody tr');
    expect(await rows.locator('td.principal').allTextContents()).toEqual(['ana', 'ana', 'ana', 'ana']);
    expect(await rows.locator('td.reason').allTextContents()).toEqual([
      'promotion withdrawn',
      'customer withdrew',
      'reserved by phone',
      'paid by phone',
    ]);
  });

  it('a viewer sees who it is and no action anywhere; an action it forges is refused with 403', async () => {
    const page = await open(VIEWER, instancePage(seeded.stuckOrder));
    await page.locator('#timeline').waitFor();
    expect(await page.locator('#principal').textContent()).toBe('grafana · viewer');
    expect(await page.locator('#instance-actions button').count()).toBe(0);
    expect(await page.locator('#actions-off').textContent()).toContain('grafana with the viewer role, which may read but not act');
    await page.goto(`${server.url}/#/instances?saga=order`);
    await page.locator('table.instances tbody tr').first().waitFor();
    expect(await page.locator('#bulk-instances').count()).toBe(0);
    await page.goto(`${server.url}/#/audit`);
    await page.locator('table.audit tbody tr').first().waitFor(); // reading the trail is allowed

    const refused = await page.evaluate(
      async ({ id, token }) => {
        const response = await fetch(`api/instances/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'forged' }) });
        return { status: response.status, body: (await response.json()) as { error: { code: string } } };
      },
      { id: seeded.ids.get(seeded.stuckOrder)!, token: VIEWER },
    );
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'SAGA_FORBIDDEN' } } });
    expect((await stored(seeded.stuckOrder))?.status).toBe('compensation_failed');
  });
});
