/**
 * @module telemetry/span-attributes
 * What Sagaflow writes on its spans. Callers check `span.isRecording()` first: a sampled-out span
 * costs nothing here.
 */
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Envelope } from '../messages/envelope.ts';
import type { DeadLetter } from '../repository/types.ts';
import type { DispatchResult, SagaOutcome } from '../runtime/outcome.ts';
import { SagaflowAttributes as A, type ProcessOutcome } from './names.ts';

/** What taking a message can end in: `dispatch`'s result, or `receive`'s. */
export type Processed =
  | DispatchResult
  | { readonly status: 'handled'; readonly result: DispatchResult }
  | { readonly status: 'dead-lettered'; readonly deadLetter: DeadLetter };


/** The messaging attributes of a `process` or `send` span. */
export function setMessaging(span: Span, system: string, operation: 'process' | 'send', envelope: Envelope | undefined, type: string | undefined): void {
  span.setAttribute(A.MessagingSystem, system);
  span.setAttribute(A.MessagingOperationName, operation);
  span.setAttribute(A.MessagingOperationType, operation);
  if (envelope === undefined) return;
  span.setAttribute(A.MessagingMessageId, envelope.messageId);
  if (type !== undefined) span.setAttribute(A.MessagingDestination, type);
  if (envelope.correlationId !== undefined) span.setAttribute(A.MessagingConversationId, envelope.correlationId);
}

/** A saga's outcome for an event: instance, states before and after, and what happened. */
export function setOutcome(span: Span, outcome: SagaOutcome): void {
  span.setAttribute(A.SagaName, outcome.saga);
  span.setAttribute(A.Outcome, outcome.result);
  if (outcome.correlationId !== undefined) span.setAttribute(A.CorrelationId, outcome.correlationId);
  switch (outcome.result) {
    case 'applied':
      span.setAttribute(A.InstanceId, outcome.instanceId);
      span.setAttribute(A.StateBefore, outcome.stateBefore);
      span.setAttribute(A.StateAfter, outcome.state);
      span.setAttribute(A.Status, outcome.status);
      break;
    case 'duplicate':
      if (outcome.instanceId !== undefined) span.setAttribute(A.InstanceId, outcome.instanceId);
      break;
    case 'ignored':
      span.setAttribute(A.IgnoreReason, outcome.reason);
      if (outcome.state !== undefined) {
        span.setAttribute(A.StateBefore, outcome.state);
        span.setAttribute(A.StateAfter, outcome.state);
      }
  }
}

/** The stable code of a Sagaflow error, else the error's class name (semantic conventions' `error.type`). */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : '_OTHER';
}

/** Marks the span failed with `error`: the exception event, status ERROR, `error.type`. */
export function recordError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const type = errorType(error);
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.setAttribute(A.ErrorType, type);
  const named = error as { sagaName?: unknown; correlationId?: unknown; instanceId?: unknown };
  if (typeof named?.sagaName === 'string') span.setAttribute(A.SagaName, named.sagaName);
  if (typeof named?.instanceId === 'string') span.setAttribute(A.InstanceId, named.instanceId);
}

/** The process span's saga attributes: those of the only saga that handled it, when one did. */
export function annotate(span: Span, result: Processed): void {
  if ('status' in result && result.status === 'dead-lettered') {
    span.setAttribute(A.Outcome, 'dead-lettered' satisfies ProcessOutcome);
    if (result.deadLetter.sagaName !== null) span.setAttribute(A.SagaName, result.deadLetter.sagaName);
    return;
  }
  const { outcomes } = 'status' in result ? result.result : result;
  if (outcomes.length === 0) span.setAttribute(A.Outcome, 'ignored' satisfies ProcessOutcome);
  if (outcomes.length !== 1) return;
  const outcome = outcomes[0]!;
  setOutcome(span, outcome);
  if (outcome.correlationId !== undefined) span.setAttribute(A.MessagingConversationId, outcome.correlationId);
}
