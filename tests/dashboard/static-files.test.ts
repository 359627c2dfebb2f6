/**
 * The dashboard's file routes: the page and its modules are served with their types and security
 * headers, Mermaid comes from the installed package, and nothing outside the two directories is reachable.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { mermaidDirectory } from '../../src/dashboard/dashboard-routes.ts';
import { dashboardRoutes } from '../../src/dashboard/index.ts';
import { safeRelativePath } from '../../src/dashboard/static-files.ts';

const app = dashboardRoutes();

describe('dashboard files', () => {
  it('serves the page at / with a content security policy that allows only this origin', async () => {
    const response = await app.request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await response.text()).toContain('<script type="module" src="assets/app.js">');
  });

  it('serves its JavaScript modules and styles with their types, and answers 304 to a matching ETag', async () => {
    const js = await app.request('/assets/pages/instance.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = js.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await app.request('/assets/pages/instance.js', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect((await app.request('/assets/style.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('serves Mermaid from node_modules: its ES module entry and the chunks it imports', async () => {
    const entry = await app.request('/assets/vendor/mermaid/mermaid.esm.min.mjs');
    expect(entry.status).toBe(200);
    const text = await entry.text();
    const chunk = /"\.\/(chunks\/mermaid\.esm\.min\/[\w.-]+\.mjs)"/.exec(text)?.[1];
    expect(chunk).toBeDefined();
    expect((await app.request(`/assets/vendor/mermaid/${chunk}`)).status).toBe(200);
    // The rest of the package is not exposed.
    expect((await app.request('/assets/vendor/mermaid/mermaid.min.js')).status).toBe(404);
    expect((await app.request('/assets/vendor/mermaid/../package.json')).status).toBe(404);
  });

  it('serves the Mermaid copy the build puts beside the assets, before any installed mermaid package', async () => {
    const assets = await mkdtemp(join(tmpdir(), 'sagaflow-assets-'));
    try {
      // From the sources (no copy): the devDependency's dist.
      expect(mermaidDirectory(assets)?.root).toMatch(/node_modules\/mermaid\/dist$/);
      await mkdir(join(assets, 'vendor/mermaid'), { recursive: true });
      await writeFile(join(assets, 'vendor/mermaid/mermaid.esm.min.mjs'), 'export default {};');
      // In the published package: the copy, so `mermaid` need not be installed.
      expect(mermaidDirectory(assets)?.root).toBe(join(assets, 'vendor/mermaid'));
    } finally {
      await rm(assets, { recursive: true, force: true });
    }
  });

  it('works under a path prefix: the bare prefix redirects to itself with a slash, where relative URLs resolve', async () => {
    const parent = new Hono();
    parent.route('/sagaflow', dashboardRoutes());
    const bare = await parent.request('/sagaflow?x=1');
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/sagaflow/?x=1');
    const page = await parent.request('/sagaflow/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await parent.request('/sagaflow/assets/app.js')).status).toBe(200);
    expect((await app.request('/')).status).toBe(200);
  });

  it('never serves a file outside its directory, a hidden file, or an unknown type', async () => {
    for (const path of ['/assets/../dashboard-routes.ts', '/assets/%2e%2e/dashboard-routes.ts', '/assets/..%2fdashboard-routes.ts', '/assets/lib/../../index.ts', '/assets/.hidden.js', '/assets/nope.js', '/assets/index.html/x']) {
      expect((await app.request(path)).status, path).toBe(404);
    }
    expect(safeRelativePath('lib/dom.js')).toBe('lib/dom.js');
    for (const bad of ['', '../x.js', 'a/../b.js', '/etc/passwd', 'a//b.js', 'a\\b.js', 'c:x.js', '.env', `a\0.js`]) {
      expect(safeRelativePath(bad), bad).toBeNull();
    }
  });
});
