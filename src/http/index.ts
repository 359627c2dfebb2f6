/**
 * @module http
 *
 * `sagaflow/http`: the HTTP API and dashboard server over `SagaOperations`. A separate entry point so
 * that the core never loads hono.
 */
export { createSagaflowApi } from './api.ts';
export type { SagaflowApi, SagaflowApiOptions } from './api.ts';
export { serveSagaflow } from './serve.ts';
export type { ServeSagaflowOptions, SagaflowServer } from './serve.ts';
export { BAD_REQUEST, UNAUTHORIZED, READ_ONLY, INTERNAL, HOST_NOT_ALLOWED, CROSS_SITE, problemOf } from './problem.ts';
export { hostGuard, crossSiteGuard } from './origin-guard.ts';
export type { Problem } from './problem.ts';
