/**
 * `sagaflow/client` is usable from browsers: bundled for the browser platform it pulls in nothing but
 * its own files and two error classes (no Node module, no zod, hono or Prisma), and that bundle,
 * loaded into headless Chromium on the API's origin, publishes an event and waits for the state.
 */
import * as esbuild from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySagaRepository, SagaOperations, SagaOrchestrator } from '../../src/index.ts';
import { serveSagaflow, type SagaflowServer } from '../../src/http/index.ts';
import { launchChromiumOrError, usable } from '../dashboard/browser.ts';
import { CheckoutSaga } from '../http/ingress-fixtures.ts';

const OPERATOR = 'operator-token-h19a-browser-1';
const entry = new URL('../../src/client/index.ts', import.meta.url).pathname;

let browser: Browser | Error | undefined;
let server: SagaflowServer;
let orchestrator: SagaOrchestrator;

beforeAll(async () => {
  browser = await launchChromiumOrError();
  const repository = new InMemorySagaRepository();
  orchestrator = new SagaOrchestrator({ sagas: [CheckoutSaga], repository });
  server = await serveSagaflow({
    ops: new SagaOperations({ repository, sagas: [CheckoutSaga], orchestrator }),
    port: 0,
    dashboard: false,
    principals: [{ name: 'shop', role: 'operator', token: OPERATOR }],
  });
});

afterAll(async () => {
  if (browser !== undefined && !(browser instanceof Error)) await browser.close();
  await server?.close();
  await orchestrator?.close();
});

async function bundle(format: 'esm' | 'iife') {
  return esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format,
    ...(format === 'iife' && { globalName: 'SagaflowClient' }),
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
}

describe('sagaflow/client in the browser', () => {
  it('imports only its own files and the error classes: nothing from Node, zod, hono or Prisma', async () => {
    const built = await bundle('esm');
    const inputs = Object.keys(built.metafile.inputs).map((path) => path.replace(/^.*?src\//, 'src/')).sort();
    expect(inputs).toEqual(['src/client/client.ts', 'src/client/index.ts', 'src/errors/sagaflow-api-error.ts', 'src/errors/sagaflow-error.ts', 'src/errors/wait-timeout-error.ts']);
    const text = built.outputFiles[0]!.text;
    expect(text).not.toMatch(/from ["'](node:|zod|hono|@prisma)/);
    expect(text).not.toMatch(/\b(process|Buffer|require)\s*[.(]/);
    // Small enough to ship to any page.
    expect(text.length).toBeLessThan(16_000);
  });

  it('publishes an event and waits for its state from a page on the API origin', async () => {
    const code = (await bundle('iife')).outputFiles[0]!.text;
    const context = await usable(browser).newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      // An empty page at the API's own origin (the client's calls then go to the real server).
      await page.route(`${server.url}/blank`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>shop</title>' }));
      await page.goto(`${server.url}/blank`);
      await page.addScriptTag({ content: code });
      const result = await page.evaluate(async (token) => {
        const { createSagaflowClient, SagaflowApiError } = (globalThis as any).SagaflowClient;
        const client = createSagaflowClient({ baseUrl: (globalThis as any).location.origin, token });
        const started = await client.publish({ name: 'CheckoutStarted', kind: 'event' }, { amount: 9, currency: 'EUR' }, { correlationId: 'b-1', messageId: 'b-1' });
        await client.publish({ name: 'PaymentSucceeded', kind: 'event' }, { checkoutId: 'b-1', reference: 'tx-b-1' });
        const paid = await client.waitForState({ saga: 'checkout', correlationId: 'b-1' }, 'Paid', { timeoutMs: 15_000, pollIntervalMs: 50 });
        const refused = await client.publish({ name: 'CheckoutStarted', kind: 'event' }, { amount: -1 }, { correlationId: 'b-2' }).catch((e: unknown) => e);
        return {
          outcome: started.outcome,
          state: paid.state,
          refused: refused instanceof SagaflowApiError ? `${refused.status} ${refused.code}` : String(refused),
          node: typeof (globalThis as any).process !== 'undefined',
        };
      }, OPERATOR);
      expect(result).toEqual({ outcome: 'handled', state: 'Paid', refused: '422 SAGA_PAYLOAD_INVALID', node: false });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
