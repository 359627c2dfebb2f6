/**
 * @module http/origin-guard
 *
 * Two checks a server that browsers talk to needs, token or not:
 * - The `Host` allow-list, against DNS rebinding: a page on `evil.example` whose name is re-pointed at
 *   127.0.0.1 reaches a local dashboard as same-origin, but its requests still say `Host: evil.example`.
 *   Answering only to the names the server knows (421 otherwise) leaves such a page nothing to read.
 * - Cross-site actions (CSRF): a state-changing request (POST, PUT, PATCH, DELETE) whose
 *   `Sec-Fetch-Site` is not `same-origin`, or whose `Origin` is not the origin the request was sent to,
 *   is refused with 403, so a page elsewhere cannot make a browser act. Requests without either header
 *   (curl, scripts) are not browsers' cross-site requests; the token guards them.
 */
import type { MiddlewareHandler } from 'hono';
import { CROSS_SITE, HOST_NOT_ALLOWED, problem, respond } from './problem.ts';
import { normalizeHostname } from './serving-policy.ts';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The request's `Host` (host and port), from the header, else from the URL (requests made in process). */
function requestHost(header: string | undefined, url: string): string {
  return (header ?? new URL(url).host).toLowerCase();
}

/**
 * Refuses, with 421 `SAGA_HOST_NOT_ALLOWED`, a request whose `Host` names none of `hostnames` (ports
 * are not compared: a proxy may forward another one).
 *
 * @example
 * app.use('*', hostGuard(['localhost', '127.0.0.1', 'sagaflow.internal']));
 */
export function hostGuard(hostnames: readonly string[]): MiddlewareHandler {
  const allowed = new Set(hostnames.map((h) => normalizeHostname(h)).filter(Boolean));
  return async (c, next) => {
    const host = requestHost(c.req.header('host'), c.req.url);
    const name = normalizeHostname(host.replace(/:\d*$/, ''));
    if (name === undefined || !allowed.has(name)) {
      return respond(
        c,
        problem(421, HOST_NOT_ALLOWED, 'this server does not answer to that host name; add it with --allowed-host (allowedHosts in serveSagaflow) if it is yours'),
      );
    }
    await next();
  };
}

/**
 * Refuses, with 403 `SAGA_CROSS_SITE`, a state-changing request a browser sent from another site.
 *
 * @example
 * app.use('/api/*', crossSiteGuard());
 */
export function crossSiteGuard(): MiddlewareHandler {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const fetchSite = c.req.header('sec-fetch-site')?.toLowerCase();
      const origin = c.req.header('origin');
      // `none` is a request the user made themselves (typed, bookmarked); `same-site` is another origin.
      const crossByFetchSite = fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none';
      if (crossByFetchSite || (origin !== undefined && !sameOrigin(origin, requestHost(c.req.header('host'), c.req.url)))) {
        return respond(c, problem(403, CROSS_SITE, 'actions are only accepted from the dashboard\'s own origin, not from another site\'s page'));
      }
    }
    await next();
  };
}

/** True when `origin` (scheme, host, port) names `host`; `null` (sandboxed or privacy-hidden) never does. */
function sameOrigin(origin: string, host: string): boolean {
  try {
    // The scheme is not compared: behind a TLS-terminating proxy the page is https and the request http.
    const page = new URL(origin);
    const target = new URL(`http://${host}/`);
    const pagePort = page.port || (page.protocol === 'https:' ? '443' : '80');
    return page.hostname === target.hostname && (target.port === '' ? pagePort === '80' || pagePort === '443' : target.port === pagePort);
  } catch {
    return false;
  }
}
