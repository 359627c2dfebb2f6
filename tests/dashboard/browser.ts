/**
 * @module tests/dashboard/browser
 *
 * Headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` package driven by
 * playwright-core. A missing browser fails the tests with what to do, never skips them.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium; `SAGAFLOW_CHROMIUM` points elsewhere (another distribution's path). */
export const CHROMIUM_PATH = process.env.SAGAFLOW_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * @example
 * const browser = await launchChromium();
 * const page = await openPage(browser);
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The dashboard's browser tests need Chromium at ${CHROMIUM_PATH}, and it is not installed. ` +
        `Install it with 'sudo apt-get install -y chromium' (npm test runs scripts/ensure-chromium.sh, which does it when run as root), ` +
        `or set SAGAFLOW_CHROMIUM to a Chromium binary.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

/**
 * The browser, or why there is none. Test files launch it in `beforeAll` and each test asks for it, so a
 * missing Chromium fails every browser test with the advice above (a failing `beforeAll` would only
 * report them as skipped).
 *
 * @example
 * beforeAll(async () => { browser = await launchChromiumOrError(); });
 * it('…', async () => { const page = await openPage(usable(browser)); });
 */
export async function launchChromiumOrError(): Promise<Browser | Error> {
  return launchChromium().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

/** The browser itself; throws the launch error. */
export function usable(browser: Browser | Error | undefined): Browser {
  if (browser === undefined) throw new Error('the browser was not launched (beforeAll failed earlier)');
  if (browser instanceof Error) throw browser;
  return browser;
}

export interface WatchedPage {
  readonly page: Page;
  /** Uncaught errors and console errors the page reported; a test expects none. */
  readonly errors: string[];
}

/** A 1280×800 page that records the errors it reports. */
export async function openPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A refused API call is logged by the browser itself (401 before the token, 403 in read-only mode).
    if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) errors.push(`console: ${message.text()}`);
  });
  return { page, errors };
}
