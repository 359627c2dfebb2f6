/**
 * @module http/ingress-outcome
 *
 * Pure answers of the ingress: what a dispatch did, as a `PublishResult`, and what an error becomes. An
 * ingress caller (a payment provider's webhook, another team's service) may read nothing (its role has
 * no `read`), so its errors tell what to fix in the request, never what the sagas hold: messages whose
 * text could quote saga code, an instance's state or the driver are replaced by a fixed sentence, and
 * the error itself goes to `onError` under the answer's `errorId`.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { PublishOutcome, PublishResult, SagaResult } from '../client/types.ts';
import { BATCH_TOO_LARGE } from '../errors/batch-too-large-error.ts';
import { PAYLOAD_TOO_LARGE } from '../errors/payload-too-large-error.ts';
import { SagaflowError } from '../errors/sagaflow-error.ts';
import { ValidationError } from '../errors/validation-error.ts';
import type { DispatchResult, SagaOutcome } from '../runtime/outcome.ts';
import { BAD_REQUEST, problem, problemOf, type Problem } from './problem.ts';

/**
 * @example
 * publishResult(await orchestrator.dispatch(envelope)); // { outcome: 'handled', messageId, type, sagas: [...] }
 */
export function publishResult(dispatch: DispatchResult): PublishResult {
  const sagas = dispatch.outcomes.map(sagaResult);
  return { outcome: outcomeOf(sagas), messageId: dispatch.messageId, type: dispatch.type, sagas };
}

/** Applied anywhere is `handled`; else a redelivery somewhere is `duplicate`; else `ignored`. */
export function outcomeOf(sagas: readonly SagaResult[]): PublishOutcome {
  if (sagas.some((s) => s.result === 'applied')) return 'handled';
  return sagas.some((s) => s.result === 'duplicate') ? 'duplicate' : 'ignored';
}

function sagaResult(o: SagaOutcome): SagaResult {
  const base = { saga: o.saga, correlationId: o.correlationId ?? null };
  switch (o.result) {
    case 'applied':
      return { ...base, result: 'applied', instanceId: o.instanceId, state: o.state, status: o.status, created: o.created, reason: null };
    case 'duplicate':
      return { ...base, result: 'duplicate', instanceId: o.instanceId ?? null, state: null, status: null, created: null, reason: null };
    case 'ignored':
      return { ...base, result: 'ignored', instanceId: null, state: o.state ?? null, status: null, created: null, reason: o.reason };
  }
}

/**
 * Fixed messages for codes whose own message names saga internals (a state, a saga's correlation
 * function's error, the list of handled types): the code says what happened, this what to do.
 */
const FIXED: Readonly<Record<string, { readonly status: 409 | 422; readonly message: (type: string) => string }>> = {
  SAGA_UNKNOWN_EVENT: { status: 422, message: (t) => `no saga here handles '${t}'` },
  SAGA_ENVELOPE_INVALID: { status: 422, message: (t) => `'${t}' could not be correlated to an instance: give a correlationId` },
  SAGA_EVENT_UNHANDLED: { status: 422, message: (t) => `the instance does not accept '${t}' in its current state` },
  SAGA_INSTANCE_NOT_FOUND: { status: 422, message: (t) => `'${t}' cannot start an instance, and none has this correlation id` },
  SAGA_CONCURRENCY_CONFLICT: { status: 409, message: (t) => `'${t}' lost a race with other events for the instance: send it again with the same messageId` },
};

/** Codes whose message is about the request alone, so the caller may read it. */
const TOLD: ReadonlySet<string> = new Set(['SAGA_PAYLOAD_INVALID', PAYLOAD_TOO_LARGE, 'SAGA_VALUE_UNSTORABLE', 'SAGA_ORCHESTRATOR_REQUIRED', BATCH_TOO_LARGE]);

/**
 * The ingress's answer to `error`, thrown while publishing an event of `type`. `report` receives the
 * errors whose text the caller is not told, with the answer's `errorId`.
 *
 * @example
 * ingressProblem(new ValidationError('OrderCreated', issues), 'OrderCreated', log); // 422 SAGA_PAYLOAD_INVALID, details: issues
 */
export function ingressProblem(error: unknown, type: string, report: (error: unknown, errorId: string) => void): Problem {
  // Several sagas failed: the first one's answer stands for all (each is logged).
  if (error instanceof AggregateError && error.errors.length > 0) return ingressProblem(error.errors[0], type, report);
  if (error instanceof z.ZodError) return problemOf(error);
  if (error instanceof RequestBodyError) return problem(error.status, BAD_REQUEST, error.message);
  if (!(error instanceof SagaflowError)) return reported(problemOf(error), error, report);
  if (error instanceof ValidationError) {
    // Path, code and message per issue; never the input, which a caller sent anyway and a log should not keep twice.
    const issues = error.issues.map((i) => ({ path: i.path.map(String), code: i.code, message: i.message }));
    return problem(422, error.code, error.message, issues);
  }
  if (error.code === PAYLOAD_TOO_LARGE) return problem(413, error.code, error.message);
  if (error.code === BATCH_TOO_LARGE) return problem(413, error.code, error.message);
  if (TOLD.has(error.code)) return problemOf(error);
  const fixed = FIXED[error.code];
  if (fixed !== undefined) return problem(fixed.status, error.code, fixed.message(type));
  const answer = problemOf(error);
  // A server-side code (the store down) is already a generic 500/503 with an errorId.
  if (answer.status >= 500) return reported(answer, error, report);
  // An action or compensation that threw, retries exhausted: the code, and the details in the log.
  const errorId = randomUUID();
  report(error, errorId);
  return problem(422, error.code, `the saga could not handle '${type}' (${error.code}); the server logged the details under ${errorId}`, { errorId });
}

function reported(answer: Problem, error: unknown, report: (error: unknown, errorId: string) => void): Problem {
  const details = answer.body.error.details as { errorId?: string } | undefined;
  if (details?.errorId !== undefined) report(error, details.errorId);
  return answer;
}

/** A body that is not JSON (400) or not declared as JSON (415): the request's fault, said as such. */
export class RequestBodyError extends Error {
  constructor(
    readonly status: 400 | 415,
    message: string,
  ) {
    super(message);
  }
}
