/**
 * @module tests/telemetry/otel
 * The real OpenTelemetry SDK for tests: spans into an in-memory exporter, metrics read on demand, the
 * AsyncLocalStorage context manager (as NodeSDK registers it) and the W3C propagator. The providers are
 * passed to the orchestrator explicitly; only the context manager is global, as it has to be.
 */
import { context, type Attributes, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll } from 'vitest';
import type { TelemetryOptions } from '../../src/index.ts';

/** A reader that exports nowhere: tests call `collect()`. */
class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface Otel {
  readonly telemetry: TelemetryOptions;
  readonly exporter: InMemorySpanExporter;
  spans(): readonly ReadableSpan[];
  /** The one finished span with this name (fails when there is none or several). */
  span(name: string): ReadableSpan;
  spansNamed(name: string): readonly ReadableSpan[];
  /** The sum of a counter's points (or a histogram's counts) whose attributes include `match`. */
  metric(name: string, match?: Attributes): Promise<number>;
  shutdown(): Promise<void>;
}

export function startOtel(): Otel {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spans = () => exporter.getFinishedSpans();
  const spansNamed = (name: string) => spans().filter((s) => s.name === name);
  return {
    telemetry: { tracerProvider, meterProvider, propagator: new W3CTraceContextPropagator() },
    exporter,
    spans,
    spansNamed,
    span(name) {
      const found = spansNamed(name);
      if (found.length !== 1) throw new Error(`expected one span '${name}', found ${found.length}: ${spans().map((s) => s.name).join(', ')}`);
      return found[0]!;
    },
    async metric(name, match = {}) {
      const { resourceMetrics } = await reader.collect();
      let total = 0;
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const m of scope.metrics) {
          if (m.descriptor.name !== name) continue;
          for (const point of m.dataPoints as DataPoint<number | Histogram>[]) {
            if (!Object.entries(match).every(([k, v]) => point.attributes[k] === v)) continue;
            total += typeof point.value === 'number' ? point.value : point.value.count;
          }
        }
      }
      return total;
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** Installs the AsyncLocalStorage context manager before this test file's tests and removes it after them. */
export function useContextManager(): void {
  let manager: AsyncLocalStorageContextManager | undefined;
  beforeAll(() => {
    manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
  });
  afterAll(() => {
    manager?.disable();
    context.disable();
  });
}

/** The parent's span id, or undefined for a root span. */
export function parentOf(span: ReadableSpan): string | undefined {
  return (span as { parentSpanContext?: SpanContext }).parentSpanContext?.spanId;
}

/** The chain of span names from `span` up to its root, within the exported spans. */
export function ancestry(span: ReadableSpan, all: readonly ReadableSpan[]): string[] {
  const names: string[] = [];
  let current: ReadableSpan | undefined = span;
  while (current) {
    names.push(current.name);
    const parent = parentOf(current);
    current = parent === undefined ? undefined : all.find((s) => s.spanContext().spanId === parent);
  }
  return names;
}
