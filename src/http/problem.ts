/**
 * @module http/problem
 *
 * Errors as the API answers them: `{ error: { code, message, details? } }` with a status chosen from
 * the error's kind. Client mistakes are 4xx with the error's own stable code; anything unexpected is a
 * 500 whose message says to look at the server's log.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { SagaflowError } from '../errors/sagaflow-error.ts';

export const BAD_REQUEST = 'SAGA_BAD_REQUEST';
export const UNAUTHORIZED = 'SAGA_UNAUTHORIZED';
export const READ_ONLY = 'SAGA_READ_ONLY';
export const INTERNAL = 'SAGA_INTERNAL';

export interface Problem {
  readonly status: ContentfulStatusCode;
  readonly body: { readonly error: { readonly code: string; readonly message: string; readonly details?: unknown } };
}

/** Codes that mean "there is no such thing". */
const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['SAGA_NOT_FOUND', 'SAGA_DEAD_LETTER_NOT_FOUND', 'SAGA_UNKNOWN_SAGA', 'SAGA_COMMAND_NOT_FOUND']);
/** Codes that mean "not now, in the state it is in". */
const CONFLICT_CODES: ReadonlySet<string> = new Set([
  'SAGA_NOT_COMPENSATION_FAILED',
  'SAGA_NOT_COMPENSATING',
  'SAGA_ORCHESTRATOR_REQUIRED',
  'SAGA_CONCURRENCY_CONFLICT',
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
  // Cursors and page sizes the repository refuses.
  if (error instanceof RangeError) return problem(400, BAD_REQUEST, error.message);
  if (error instanceof SagaflowError) {
    if (NOT_FOUND_CODES.has(error.code)) return problem(404, error.code, error.message);
    if (CONFLICT_CODES.has(error.code)) return problem(409, error.code, error.message);
    // Replaying a message that still cannot be handled, and the like: understood, but refused.
    return problem(422, error.code, error.message);
  }
  return problem(500, INTERNAL, `internal error: ${error instanceof Error ? error.message : String(error)} (see the server's log)`);
}

export function respond(c: Context, p: Problem): Response {
  return c.json(p.body, p.status);
}
