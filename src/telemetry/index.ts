/**
 * @module telemetry
 * The public face of Sagaflow's operational signals: the orchestrator's `telemetry` option, the names
 * of its spans, attributes and metrics (for dashboards, alerts and tests), and the logger adapters.
 */
export type { TelemetryOptions } from './telemetry-options.ts';
export { SagaflowAttributes, SagaflowMetrics, SagaflowSpans, INSTRUMENTATION_SCOPE } from './names.ts';
export type { ProcessOutcome } from './names.ts';
export { fromPino, toLogger } from './pino.ts';
export type { PinoLike, AnyLogger } from './pino.ts';
export { redactor, REDACTED } from './redact.ts';
export { SAGAFLOW_VERSION } from './version.ts';
