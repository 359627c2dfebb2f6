/**
 * @module client
 *
 * `sagaflow/client`: a typed client over the Sagaflow HTTP API for Node and browsers, with no
 * dependency beyond `fetch`. It imports nothing from the core's runtime, zod, hono or Node (a test
 * checks the bundle's import graph and runs it in Chromium).
 */
export { createSagaflowClient, ingressEvent } from './client.ts';
export type { InstanceRef, ListFilter, Page, PublishOptions, SagaflowClient, SagaflowClientOptions, WaitOptions } from './client.ts';
export type { BatchItemResult, BatchResult, IngressEventInput, ProblemError, PublishOutcome, PublishResult, SagaResult } from './types.ts';
export type { InstanceDetail, InstanceSummary } from '../ops/views.ts';
export { SagaflowError } from '../errors/sagaflow-error.ts';
export { SagaflowApiError, HTTP_ERROR } from '../errors/sagaflow-api-error.ts';
export { WaitTimeoutError, WAIT_TIMEOUT } from '../errors/wait-timeout-error.ts';
