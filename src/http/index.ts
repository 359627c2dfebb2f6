/**
 * @module http
 *
 * `sagaflow/http`: the HTTP API and dashboard server over `SagaOperations`. A separate entry point so
 * that the core never loads hono.
 */
import { importPeer } from '../peers/optional-peers.ts';

// hono is an optional peer: importing `sagaflow/http` without it is a `MissingPeerError` that says what to
// install, where a static import would fail with Node's module-resolution error.
const api = await importPeer('hono', 'http', () => import('./api.ts'));

/** The API as a Hono app over `SagaOperations`; see `http/api` for the options. */
export const createSagaflowApi: typeof import('./api.ts').createSagaflowApi = api.createSagaflowApi;
export type { SagaflowApi, SagaflowApiOptions } from './api.ts';
export { serveSagaflow } from './serve.ts';
export type { ServeSagaflowOptions, SagaflowServer } from './serve.ts';
export { BAD_REQUEST, UNAUTHORIZED, READ_ONLY, FORBIDDEN, INTERNAL, HOST_NOT_ALLOWED, CROSS_SITE, PROBLEM_JSON, problemOf, problemBody } from './problem.ts';
export { hostGuard, crossSiteGuard } from './origin-guard.ts';
export type { Problem, ProblemBody } from './problem.ts';
export { DEFAULT_INGRESS_LIMITS } from './ingress.ts';
export type { IngressOptions } from './ingress.ts';
export { openApiDocument } from './openapi.ts';
export type { OpenApiOptions } from './openapi.ts';
export { API_ROUTES } from './route-table.ts';
export type { RouteSpec, RouteMethod } from './route-table.ts';
export { Role, allows, authenticator, loadPrincipalsFile, parsePrincipals } from './principals.ts';
export type { Permission, Principal, PrincipalConfig, Authenticator } from './principals.ts';
export { permissionFor, principalOf, INGRESS_PREFIX } from './auth.ts';
export { MAX_ACTION_BODY, repairRoutes } from './repair-routes.ts';
