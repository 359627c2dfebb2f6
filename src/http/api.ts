/**
 * @module http/api
 *
 * The HTTP API over `SagaOperations`: a hono app that a user mounts in their own hono or Node server
 * (`app.route('/sagaflow', api)`) or that `serveSagaflow` runs standalone. Routes, answers and errors
 * follow docs/operations.md, "HTTP API". With `dashboard` (default on) the web dashboard's static files
 * are served at `/`; they hold no data, so they need no token.
 */
import { Hono, type Context } from 'hono';
import { dashboardRoutes } from '../dashboard/index.ts';
import type { ChangeFeed } from '../ops/change-feed.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import { guard, principalOf } from './auth.ts';
import type { PrincipalConfig } from './principals.ts';
import { DEFAULT_PING_MS, eventStream } from './events.ts';
import { crossSiteGuard, hostGuard } from './origin-guard.ts';
import { errorIdOf, problem, problemOf, respond } from './problem.ts';
import { checkToken } from './serving-policy.ts';
import { repairRoutes } from './repair-routes.ts';
import { defined } from '../ops/defined.ts';
import { CommandsQuery, DeadLettersQuery, DiagramQuery, InstanceQuery, InstancesQuery, StatsQuery } from './queries.ts';
import { sagaflowVersion } from './version.ts';
import { ingressEventTypes, ingressRoutes, type IngressOptions } from './ingress.ts';
import { openApiDocument } from './openapi.ts';
import { API_ROUTES } from './route-table.ts';
import { registerFindRoutes } from './find-routes.ts';
import type { StuckPolicy } from '../ops/stuck.ts';

export interface SagaflowApiOptions {
  /** When set, every `/api/*` request needs `Authorization: Bearer <token>`. An empty one is an `InvalidTokenError`. */
  readonly token?: string | undefined;
  /**
   * Named principals, each with a token and a role (viewer, operator, ingress; `http/principals`), e.g.
   * from `loadPrincipalsFile`. They may be given beside `token`, which is then one more operator named `token`.
   */
  readonly principals?: readonly PrincipalConfig[] | undefined;
  /**
   * Host names (no port) the app answers to; any other `Host` gets 421 (DNS rebinding). Leave it out
   * when the app is mounted in a server of yours that checks `Host` itself; `serveSagaflow` sets it.
   */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Refuse every action (non-GET) with 403 `SAGA_READ_ONLY`. */
  readonly readOnly?: boolean | undefined;
  /** How often the change feed behind `/api/events` polls the store. Default 1000 ms. */
  readonly pollIntervalMs?: number | undefined;
  /** Between `: ping` comments on the event stream. Default 15 s. */
  readonly pingIntervalMs?: number | undefined;
  /** Limits of the ingress routes (`POST /api/ingress/events`, `/batch`): body bytes and batch length. */
  readonly ingress?: IngressOptions | undefined;
  /** When `GET /api/stuck` (and the dashboard's panel) calls an instance stuck: thresholds per saga and state. */
  readonly stuckPolicy?: StuckPolicy | undefined;
  /** Serve the web dashboard at `/` (default true). */
  readonly dashboard?: boolean | undefined;
  /**
   * Errors nobody else sees: a failed change-feed pass, a 500 (with the `errorId` its answer carries,
   * the only thing the client is told). Default `console.error`.
   */
  readonly onError?: ((error: unknown, context?: { readonly errorId: string }) => void) | undefined;
}

/** The API app, with `close()` to stop its change feed (the server calls it on shutdown). */
export interface SagaflowApi extends Hono {
  close(): Promise<void>;
}

/**
 * @example
 * const ops = new SagaOperations({ repository, sagas: [OrderSaga] });
 * const app = new Hono();
 * app.route('/sagaflow', createSagaflowApi(ops, { token: process.env.SAGAFLOW_TOKEN }));
 */
export function createSagaflowApi(ops: SagaOperations, options: SagaflowApiOptions = {}): SagaflowApi {
  const token = checkToken(options.token);
  const onError =
    options.onError ?? ((error: unknown, context?: { errorId: string }) => console.error(`[sagaflow api]${context ? ` error ${context.errorId}:` : ''}`, error));
  let feed: ChangeFeed | undefined;
  const changeFeed = () => (feed ??= ops.changeFeed({ pollIntervalMs: options.pollIntervalMs ?? 1000, onError }));
  const api = new Hono();

  api.onError((error, c) => {
    const answer = problemOf(error);
    const errorId = errorIdOf(answer);
    if (errorId !== undefined) onError(error, { errorId });
    return respond(c, answer);
  });
  if (options.allowedHosts !== undefined) api.use('*', hostGuard(options.allowedHosts));
  api.use('/api/*', crossSiteGuard());
  api.use('/api/*', guard({ token, principals: options.principals, readOnly: options.readOnly }));

  // The dashboard reads who it is and what it may do here, to offer only the actions the role allows.
  api.get('/api/meta', (c) => c.json({ readOnly: options.readOnly === true, version: sagaflowVersion(), principal: principalOf(c) }));
  api.get('/api/sagas', async (c) => c.json({ sagas: await ops.sagas() }));
  registerFindRoutes(api, ops, options.stuckPolicy);
  api.get('/api/sagas/:name/diagram', (c) => {
    const query = DiagramQuery.parse(c.req.query());
    const text = ops.diagram(c.req.param('name'), query.format, query.highlight);
    return query.format === 'json' ? c.body(text, 200, { 'Content-Type': 'application/json; charset=utf-8' }) : c.text(text);
  });
  api.get('/api/stats', async (c) => c.json(await ops.stats(StatsQuery.parse(c.req.query()).saga)));
  api.get('/api/instances', async (c) => c.json(await ops.listInstances(defined(InstancesQuery.parse(c.req.query())))));
  api.get('/api/instances/:id', async (c) => c.json(await ops.instance(c.req.param('id'), defined(InstanceQuery.parse(c.req.query())))));
  api.get('/api/commands', async (c) => c.json(await ops.commands(defined(CommandsQuery.parse(c.req.query())))));
  api.get('/api/commands/:id', async (c) => c.json({ command: await ops.command(c.req.param('id')) }));
  api.get('/api/dead-letters', async (c) => c.json(await ops.deadLetters(defined(DeadLettersQuery.parse(c.req.query())))));
  api.get('/api/dead-letters/count', async (c) => {
    const { reason, saga, type } = DeadLettersQuery.parse(c.req.query());
    return c.json(await ops.countDeadLetters(defined({ reason, saga, type })));
  });
  api.get('/api/dead-letters/:id', async (c) => c.json({ deadLetter: await ops.deadLetter(c.req.param('id')) }));
  api.get('/api/events', (c: Context) => eventStream(c, changeFeed(), options.pingIntervalMs ?? DEFAULT_PING_MS));
  // Every route above and below has its row in API_ROUTES (http/route-table), which this document is made from.
  let openapi: object | undefined;
  api.get('/api/openapi.json', (c) => c.json((openapi ??= openApiDocument({ routes: API_ROUTES, events: ingressEventTypes(ops), version: sagaflowVersion() }))));
  api.route('/api/ingress', ingressRoutes(ops, options.ingress, (error, errorId) => onError(error, { errorId })));
  api.route('/', repairRoutes(ops)); // repairs, bulk actions, the audit trail (http/repair-routes)
  api.all('/api/*', (c) => respond(c, problem(404, 'SAGA_NOT_FOUND', `no API route ${c.req.method} ${c.req.path} (see docs/operations.md, "HTTP API")`)));

  // Static files of the dashboard (src/dashboard, built separately): no data in them, so no token.
  if (options.dashboard ?? true) api.route('/', dashboardRoutes());

  return Object.assign(api, { close: async () => void (await feed?.close()) });
}
