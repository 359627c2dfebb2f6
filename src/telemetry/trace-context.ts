/**
 * @module telemetry/trace-context
 * Carries a trace across messages in the envelope's headers, as W3C `traceparent` (and `tracestate`)
 * with the default propagator. A consumer continues the trace its message was created in; a message
 * leaves with the context of the span that sent it. Envelopes are immutable, so stamping makes a copy.
 */
import { context, defaultTextMapGetter, defaultTextMapSetter, trace, type Context, type TextMapPropagator } from '@opentelemetry/api';
import type { Envelope, EnvelopeHeaders } from '../messages/envelope.ts';

/** The header the W3C propagator writes: its presence says a context came with the message. */
export const TRACEPARENT = 'traceparent';

/** The context `headers` carry, on top of the active one; the active one when they carry none. */
export function contextFrom(propagator: TextMapPropagator, headers: EnvelopeHeaders): Context {
  const active = context.active();
  return headers[TRACEPARENT] === undefined ? active : propagator.extract(active, headers, defaultTextMapGetter);
}

/** `envelope` with `ctx`'s span context written into a copy of its headers. */
export function stampEnvelope(propagator: TextMapPropagator, envelope: Envelope, ctx: Context): Envelope {
  const headers: Record<string, string | undefined> = { ...envelope.headers };
  propagator.inject(ctx, headers, defaultTextMapSetter);
  return headers[TRACEPARENT] === envelope.headers[TRACEPARENT] ? envelope : { ...envelope, headers };
}

/**
 * `envelope` carrying the active span's context, for a message created now and sent later (from the
 * outbox, perhaps by another process). One that already carries a context keeps it.
 */
export function stampCreation(propagator: TextMapPropagator, envelope: Envelope): Envelope {
  if (envelope.headers[TRACEPARENT] !== undefined) return envelope;
  const active = context.active();
  if (trace.getSpan(active) === undefined) return envelope;
  return stampEnvelope(propagator, envelope, active);
}
