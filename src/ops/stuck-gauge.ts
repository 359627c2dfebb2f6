/**
 * @module ops/stuck-gauge
 *
 * The stuck instances as an OpenTelemetry gauge, `sagaflow.instances.stuck{saga, kind}`: counted by the
 * store (count queries only) each time the meter is collected, so an alert can fire on it without a
 * process of its own. One process per deployment is enough (the numbers are the store's, not the
 * process's); where several observe it, take the max, not the sum.
 */
import type { Meter } from '@opentelemetry/api';
import type { SagaOperations } from './saga-operations.ts';
import { countStuck, type StuckPolicy } from './stuck.ts';

export const STUCK_GAUGE = 'sagaflow.instances.stuck';

export interface StuckGaugeOptions {
  readonly meter: Meter;
  readonly ops: SagaOperations;
  readonly policy?: StuckPolicy;
  /** A failed count (the store down) is reported here and leaves the gauge without points for that collection. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Registers the gauge; returns a function that removes it.
 *
 * @example
 * const stop = observeStuckInstances({ meter: metrics.getMeter('sagaflow'), ops, policy: { olderThanMs: 3_600_000 } });
 */
export function observeStuckInstances(options: StuckGaugeOptions): () => void {
  const gauge = options.meter.createObservableGauge(STUCK_GAUGE, {
    description: 'Instances nothing will move, per saga and kind (idle, compensation_failed, lease_expired)',
    unit: '{instance}',
  });
  // Series seen once go on with 0, so a cleared alert sees the drop instead of a vanished series.
  const seen = new Map<string, { saga: string; kind: string }>();
  const callback = async (result: { observe(value: number, attributes?: Record<string, string>): void }) => {
    try {
      const counts = await countStuck(options.ops, options.policy);
      const now = new Map(counts.map((c) => [`${c.sagaName}\u0000${c.kind}`, c.count]));
      for (const c of counts) seen.set(`${c.sagaName}\u0000${c.kind}`, { saga: c.sagaName, kind: c.kind });
      for (const [key, attributes] of seen) result.observe(now.get(key) ?? 0, attributes);
    } catch (error) {
      options.onError?.(error);
    }
  };
  gauge.addCallback(callback);
  return () => gauge.removeCallback(callback);
}
