/**
 * @module telemetry/telemetry-options
 * Where Sagaflow's spans and metrics go. By default, to whatever OpenTelemetry SDK the application
 * registered globally; with none registered the API is a no-op, and this module tells the hot path so
 * cheaply that it skips even the no-op calls.
 */
import {
  metrics,
  propagation,
  ProxyTracerProvider,
  trace,
  type Meter,
  type MeterProvider,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { createNoopMeter } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE } from './names.ts';
import { SAGAFLOW_VERSION } from './version.ts';

/**
 * The orchestrator's `telemetry` option. Leave it out to use the globally registered SDK (NodeSDK, or a
 * provider you registered with `trace.setGlobalTracerProvider`); pass providers to use those instead
 * (tests, several pipelines in one process); pass `false` for none at all.
 *
 * @example
 * const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
 * new SagaOrchestrator({ sagas: [OrderSaga], telemetry: { tracerProvider: provider } });
 */
export interface TelemetryOptions {
  readonly tracerProvider?: TracerProvider;
  readonly meterProvider?: MeterProvider;
  /** Reads and writes `traceparent` in envelope headers. Default: the global propagator (NodeSDK: W3C). */
  readonly propagator?: TextMapPropagator;
}

/** The API's own no-op provider, which the global proxy delegates to until an SDK is registered. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
const NoopMeter = createNoopMeter().constructor;

export interface ResolvedTelemetry {
  readonly tracer: Tracer;
  /** True when spans may be recorded; checked per event, so it costs a method call and a comparison. */
  readonly tracing: () => boolean;
  /** `undefined` when metrics go nowhere: then not even the clock is read for them. */
  readonly meter: Meter | undefined;
  readonly propagator: TextMapPropagator;
}

const OFF = (): boolean => false;
const ON = (): boolean => true;

/** Resolves the option once, at construction. */
export function resolveTelemetry(options: TelemetryOptions | false | undefined): ResolvedTelemetry {
  if (options === false) {
    return { tracer: trace.getTracer(INSTRUMENTATION_SCOPE), tracing: OFF, meter: undefined, propagator: propagation };
  }
  const provider = options?.tracerProvider ?? trace.getTracerProvider();
  const tracer = provider.getTracer(INSTRUMENTATION_SCOPE, SAGAFLOW_VERSION);
  // The global proxy gains its delegate when an SDK registers, possibly after this orchestrator was
  // built: ask it per event rather than once.
  const tracing =
    options?.tracerProvider === undefined && provider instanceof ProxyTracerProvider
      ? () => provider.getDelegate() !== NOOP_TRACER_PROVIDER
      : ON;
  // The metrics API has no proxy: a meter taken before an SDK registered stays a no-op for good.
  const meter = (options?.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE, SAGAFLOW_VERSION);
  return {
    tracer,
    tracing,
    meter: meter instanceof NoopMeter ? undefined : meter,
    propagator: options?.propagator ?? propagation,
  };
}
