/**
 * @module dashboard/dashboard-routes
 *
 * The web dashboard as a Hono app: the single page at `/`, its own files at `/assets/*`, and Mermaid at
 * `/assets/vendor/mermaid/*` (no CDN: dashboards often run where there is no internet). The published
 * package carries Mermaid's browser build in `assets/vendor/mermaid`, copied there by `npm run build`;
 * from the sources (tsx, tests) it is served from the `mermaid` devDependency. There is no front-end build step: the browser loads the JavaScript modules in
 * `assets/` as they are on disk, read relative to this module so it works from `src` (tsx) and `dist`.
 *
 * The page holds no data: everything it shows comes from `/api`, which the API mounts beside it and
 * protects with its token. The files are therefore served without authentication.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { serveFile, type StaticDirectory } from './static-files.ts';

/** The dashboard's own files: revalidated on every load (ETag), since their names carry no hash. */
const ASSETS: StaticDirectory = {
  root: fileURLToPath(new URL('./assets/', import.meta.url)),
  cacheControl: 'no-cache',
};

/**
 * The copy of Mermaid built into the package, else (running from the sources) the installed Mermaid's
 * `dist`, resolved like an import so hoisting and workspaces do not matter. `null` when there is neither:
 * the dashboard works, without diagrams.
 */
export function mermaidDirectory(assetsRoot: string = ASSETS.root): StaticDirectory | null {
  const cacheControl = 'public, max-age=86400';
  const bundled = join(assetsRoot, 'vendor/mermaid');
  if (existsSync(join(bundled, 'mermaid.esm.min.mjs'))) return { root: bundled, cacheControl };
  try {
    return { root: dirname(createRequire(import.meta.url).resolve('mermaid')), cacheControl };
  } catch {
    return null;
  }
}

/** Only Mermaid's ES module build and its chunks are reachable, not the rest of the package. */
const MERMAID_FILES = /^(mermaid\.esm\.min\.mjs|chunks\/mermaid\.esm\.min\/[\w.-]+\.mjs)$/;

/**
 * What the browser may do with the page. Scripts only from this origin; inline styles are allowed because
 * Mermaid styles the SVG it draws with them. Data never becomes markup (the page writes text nodes), so
 * this is a second line of defence, not the first.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // The live feed carries the token in its URL (EventSource cannot send headers): never leak it onwards.
  'referrer-policy': 'no-referrer',
});

async function answer(c: Context, dir: StaticDirectory, path: string): Promise<Response> {
  const response = await serveFile(dir, path, c.req.header('if-none-match'));
  if (!response) return c.text('Not found', 404);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
  return response;
}

/**
 * The dashboard's routes. Mount them at the root of the server that also serves the HTTP API at `/api`;
 * the page calls the API with relative URLs, so the pair can also live under a prefix (`/sagaflow/`,
 * with the trailing slash).
 *
 * @example
 * import { Hono } from 'hono';
 * const app = new Hono();
 * app.route('/api', createSagaflowApi(ops));
 * app.route('/', dashboardRoutes());
 */
export function dashboardRoutes(): Hono {
  const app = new Hono();
  const mermaid = mermaidDirectory();
  app.get('/', (c) => {
    // Mounted under a prefix, `/` is `/prefix`: the page's relative URLs need `/prefix/`.
    const { path } = c.req;
    if (!path.endsWith('/')) return c.redirect(`${path}/${new URL(c.req.url).search}`, 308);
    return answer(c, ASSETS, 'index.html');
  });
  // `/prefix/`: Hono tells it apart from `/prefix` (strict routing), and `/` mounted under a prefix is the latter.
  app.get('/:slash{/?}', (c) => answer(c, ASSETS, 'index.html'));
  app.get('/index.html', (c) => answer(c, ASSETS, 'index.html'));
  app.get('/assets/vendor/mermaid/:path{.+}', (c) => {
    const path = c.req.param('path');
    return mermaid && MERMAID_FILES.test(path) ? answer(c, mermaid, path) : c.text('Not found', 404);
  });
  app.get('/assets/:path{.+}', (c) => answer(c, ASSETS, c.req.param('path')));
  return app;
}
