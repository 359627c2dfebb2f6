/**
 * Who may do what from the dashboard: in read-only mode the page offers no action and the API refuses
 * one anyway; with a token, the page asks for it on the first 401, keeps it for the tab, and sends it
 * (as a bearer header, and on the live feed's URL).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { launchChromiumOrError, openPage, usable, type WatchedPage } from './browser.ts';
import { startDashboardServer, type DashboardServer } from './server.ts';
import { seedOrders, type Seeded } from './seed.ts';
import { insertOf, makeInstance } from '../helpers/records.ts';

const TOKEN = 's3cret-token';

let db: TestDatabase;
let readOnly: DashboardServer;
let guarded: DashboardServer;
/** No token, actions enabled: what a cross-site page would like to reach. */
let open_: DashboardServer;
let seeded: Seeded;
let browser: Browser | Error;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  [browser, readOnly, guarded, open_] = await Promise.all([
    launchChromiumOrError(),
    startDashboardServer(db.url, { readOnly: true }),
    startDashboardServer(db.url, { token: TOKEN }),
    startDashboardServer(db.url),
  ]);
  seeded = await seedOrders(readOnly.repository);
});

afterAll(async () => {
  if (browser && !(browser instanceof Error)) await browser.close();
  await readOnly?.close();
  await guarded?.close();
  await open_?.close();
  await db?.drop();
});

afterEach(async () => {
  const errors = pages.flatMap((p) => p.errors);
  await Promise.all(pages.splice(0).map((p) => p.page.close()));
  expect(errors).toEqual([]);
});

async function open() {
  const watched = await openPage(usable(browser));
  pages.push(watched);
  return watched.page;
}

describe('dashboard access', () => {
  it('hides every action in read-only mode, and the API refuses them anyway', async () => {
    const page = await open();
    await page.goto(`${readOnly.url}/#/instances/${seeded.ids.get(seeded.stuckOrder)}`);
    await page.locator('#timeline').waitFor();
    expect(await page.locator('#read-only-badge').isVisible()).toBe(true);
    expect(await page.locator('.instance-head [data-status]').textContent()).toBe('compensation failed');
    expect(await page.locator('#retry-compensation').count()).toBe(0);
    expect(await page.locator('#instance-actions button').count()).toBe(0);
    expect(await page.locator('#actions-off').textContent()).toContain('read-only');

    await page.goto(`${readOnly.url}/#/dead-letters/${seeded.deadLetterId}`);
    await page.locator('pre.envelope').waitFor();
    expect(await page.locator('#replay').count()).toBe(0);
    expect(await page.locator('#discard').count()).toBe(0);

    // What a hand-made request from the page gets.
    const refused = await page.evaluate(async (id) => {
      const response = await fetch(`api/dead-letters/${id}/replay`, { method: 'POST' });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    }, seeded.deadLetterId);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('SAGA_READ_ONLY');
    expect((await fetch(`${readOnly.url}/api/dead-letters/${seeded.deadLetterId}`)).status).toBe(200);
  });

  it('asks for the token on a 401, says when it is refused, then keeps it for the tab and sends it as a bearer header', async () => {
    const page = await open();
    const authorizations: Array<string | undefined> = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/sagas') authorizations.push(request.headers()['authorization']);
    });
    await page.goto(guarded.url);
    const dialog = page.locator('#token-dialog');
    await dialog.locator('#token-input').waitFor();
    expect(await page.locator('.saga-card').count()).toBe(0);
    // Escape does not dismiss it: nothing works without a token.
    await page.keyboard.press('Escape');
    expect(await dialog.isVisible()).toBe(true);

    await page.fill('#token-input', 'wrong');
    await page.press('#token-input', 'Enter');
    await page.locator('#token-error', { hasText: 'refused' }).waitFor();
    await page.fill('#token-input', TOKEN);
    await page.click('#token-dialog button[type="submit"]');

    await expect.poll(() => page.locator('.saga-card[data-saga="order"] .saga-total').textContent()).toBe('8 instances');
    expect(await dialog.isVisible()).toBe(false);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('sagaflow.token'))).toBe(TOKEN);
    expect(authorizations.at(-1)).toBe(`Bearer ${TOKEN}`);
    // The live feed authenticates with ?access_token= (EventSource cannot send headers).
    await page.locator('#live[data-state="on"]').waitFor();

    // A reload in the same tab does not ask again.
    await page.reload();
    await page.locator('.saga-card[data-saga="order"]').waitFor();
    expect(await dialog.isVisible()).toBe(false);
  });

  it('refuses an action that a page of another origin makes the browser send, and the letter stays', async () => {
    // The attacker's page: another origin (another port of 127.0.0.1, which the browser calls same-site).
    const attacker = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const page = await open();
      await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      const target = `${open_.url}/api/dead-letters/${seeded.deadLetterId}/replay`;
      const answered = page.waitForResponse((response) => response.url() === target);
      // A "simple" request needs no CORS preflight: without the guard it would replay the letter.
      await page.evaluate((url) => void fetch(url, { method: 'POST', mode: 'no-cors' }).catch(() => {}), target);
      const response = await answered;
      expect(response.status()).toBe(403);
      expect((await fetch(`${open_.url}/api/dead-letters/${seeded.deadLetterId}`)).status).toBe(200);
    } finally {
      attacker.close();
    }
  });

  it('draws the diagram of an instance whose stored state the definition lacks, with nothing of that name in it', async () => {
    // A state from an older definition, or written by hand: it reaches the diagram only as data.
    const hostile = 'Gone"]; click AwaitingPayment call alert(1)\nclick Failed href "javascript:alert(2)"';
    const instance = makeInstance({ sagaName: 'order', state: hostile, data: {} });
    await readOnly.repository.commit(insertOf(instance));
    const page = await open();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${readOnly.url}/#/instances/${instance.id}`);
    await page.locator('#diagram[data-rendered="true"]').waitFor();
    // The page shows the state as text, and the diagram marks no state and wires no click.
    expect(await page.locator('.instance-head').textContent()).toContain('Gone"]; click AwaitingPayment');
    expect(await page.locator('#diagram svg g.node.current').count()).toBe(0);
    expect(await page.locator('#diagram svg').innerHTML()).not.toMatch(/alert|javascript:|Gone/);
    await page.locator('#diagram svg g.node', { hasText: 'AwaitingPayment' }).first().click({ force: true });
    expect(dialogs).toEqual([]);
  });
});
