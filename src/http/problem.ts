/**
 * @module http/problem
 *
 * Errors as the API answers them: `application/problem+json` (RFC 9457: `type`, `title`, `status`,
 * `detail`, and the extension member `code`) that also carries `{ error: { code, message, details? } }`,
 * the shape the API answered before, which the dashboard and clients read; with a status chosen from
 * the error's kind. Client mistakes are 4xx with the error's own stable code; anything unexpected is a
 * 500 with a generic message and an error id (`details.errorId`) that the server logs with the error
 * itself: a driver's or SQL's text never reaches a client, where it would map the schema for an attacker.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { SagaflowError } from '../errors/sagaflow-error.ts';

export const BAD_REQUEST = 'SAGA_BAD_REQUEST';
export const UNAUTHORIZED = 'SAGA_UNAUTHORIZED';
export const READ_ONLY = 'SAGA_READ_ONLY';
/** The caller's role does not grant what the route needs (a viewer acting, an ingress token reading): 403. */
export const FORBIDDEN = 'SAGA_FORBIDDEN';
export const INTERNAL = 'SAGA_INTERNAL';
/** The `Host` header names none of the names this server answers to (DNS rebinding): 421. */
export const HOST_NOT_ALLOWED = 'SAGA_HOST_NOT_ALLOWED';
/** An action sent from another site's page (`Origin` / `Sec-Fetch-Site`): 403, token or not. */
export const CROSS_SITE = 'SAGA_CROSS_SITE';

export interface Problem {
  readonly status: ContentfulStatusCode;
  readonly body: { readonly error: { readonly code: string; readonly message: string; readonly details?: unknown } };
}

/** Codes of malformed requests, thrown deeper than the query parsing. */
const BAD_REQUEST_CODES: ReadonlySet<string> = new Set(['SAGA_CURSOR_INVALID', 'SAGA_REASON_REQUIRED', 'SAGA_FILTER_INVALID']);
/** Codes of the server's own trouble, whose messages quote the driver: answered like any 500, 503 for a passing one. */
const SERVER_CODES: ReadonlyMap<string, ContentfulStatusCode> = new Map<string, ContentfulStatusCode>([
  ['SAGA_STORE_TRANSIENT', 503],
  ['SAGA_SCHEMA_MISSING', 500],
  ['SAGA_DATABASE_UNREACHABLE', 503],
]);
/** Codes that mean "there is no such thing". */
const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['SAGA_NOT_FOUND', 'SAGA_DEAD_LETTER_NOT_FOUND', 'SAGA_UNKNOWN_SAGA', 'SAGA_COMMAND_NOT_FOUND']);
/** Codes that mean "not now, in the state it is in". */
const CONFLICT_CODES: ReadonlySet<string> = new Set([
  'SAGA_NOT_COMPENSATION_FAILED',
  'SAGA_NOT_COMPENSATING',
  'SAGA_ORCHESTRATOR_REQUIRED',
  'SAGA_CONCURRENCY_CONFLICT',
  'SAGA_REPAIR_REFUSED',
  'SAGA_BULK_COUNT_MISMATCH',
]);

export function problem(status: ContentfulStatusCode, code: string, message: string, details?: unknown): Problem {
  return { status, body: { error: { code, message, ...(details !== undefined && { details }) } } };
}

/**
 * The answer for an error thrown by a handler.
 *
 * @example
 * problemOf(new UnknownSagaError('nope', ['order'])); // { status: 404, body: { error: { code: 'SAGA_UNKNOWN_SAGA', ... } } }
 */
export function problemOf(error: unknown): Problem {
  if (error instanceof z.ZodError) {
    const message = error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');
    return problem(400, BAD_REQUEST, message, error.issues);
  }
  // Page sizes the repository refuses (bad cursors are an InvalidCursorError, below).
  if (error instanceof RangeError) return problem(400, BAD_REQUEST, error.message);
  if (error instanceof SagaflowError && !SERVER_CODES.has(error.code)) {
    if (BAD_REQUEST_CODES.has(error.code)) return problem(400, error.code, error.message);
    if (NOT_FOUND_CODES.has(error.code)) return problem(404, error.code, error.message);
    if (CONFLICT_CODES.has(error.code)) return problem(409, error.code, error.message);
    // Replaying a message that still cannot be handled, and the like: understood, but refused.
    return problem(422, error.code, error.message);
  }
  const errorId = randomUUID();
  const status = (error instanceof SagaflowError && SERVER_CODES.get(error.code)) || 500;
  return problem(status, INTERNAL, `internal error ${errorId}: the server logged the details under this id`, { errorId });
}

/** The id a 500 answer carries, for the log line that holds the details. */
export function errorIdOf(p: Problem): string | undefined {
  const details = p.body.error.details as { errorId?: unknown } | undefined;
  return typeof details?.errorId === 'string' ? details.errorId : undefined;
}

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_JSON = 'application/problem+json';

/**
 * The body as sent: RFC 9457's members beside the `error` object. `type` is a URN per code (no page
 * to fetch: docs/troubleshooting.md lists the codes), `title` the status's reason phrase.
 *
 * @example
 * problemBody(problem(404, 'SAGA_NOT_FOUND', 'no instance i-1'));
 * // { type: 'urn:sagaflow:problem:SAGA_NOT_FOUND', title: 'Not Found', status: 404, detail: 'no instance i-1', code: 'SAGA_NOT_FOUND', error: { ... } }
 */
export function problemBody(p: Problem): ProblemBody {
  const { code, message } = p.body.error;
  return { type: `urn:sagaflow:problem:${code}`, title: TITLES[p.status] ?? 'Error', status: p.status, detail: message, code, error: p.body.error };
}

export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly error: Problem['body']['error'];
}

const TITLES: Readonly<Partial<Record<number, string>>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function respond(c: Context, p: Problem): Response {
  return c.body(JSON.stringify(problemBody(p)), p.status, { 'Content-Type': PROBLEM_JSON });
}
