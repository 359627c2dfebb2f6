/**
 * @module tests/helpers/outage-repository
 *
 * An in-memory store that can be "down": while `down` names a method (or `'*'`), calls to it reject
 * with the `TransientStoreError` a crashed PostgreSQL produces (`57P01`); `applyThenFail` makes the
 * next call to a method apply and then reject, as a write whose answer was lost with the connection.
 */
import { InMemorySagaRepository, TransientStoreError, type SagaRepository } from '../../src/index.ts';

export interface OutageControl {
  /** Methods that fail now; `'*'` for all of them. */
  readonly down: Set<string>;
  /** Methods whose next call applies, then fails. */
  readonly applyThenFail: Set<string>;
  /** Calls that failed, by method. */
  readonly failed: Record<string, number>;
  /** Called after each failure, with the method's name. */
  onFailure?: (method: string) => void;
}

export function outageRepository(inner: SagaRepository = new InMemorySagaRepository()): { repository: SagaRepository; control: OutageControl } {
  const control: OutageControl = { down: new Set(), applyThenFail: new Set(), failed: {} };
  const fail = (name: string) => {
    control.failed[name] = (control.failed[name] ?? 0) + 1;
    control.onFailure?.(name);
    return new TransientStoreError('57P01', new Error('terminating connection due to administrator command'));
  };
  const repository = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return async (...args: unknown[]) => {
        if (control.down.has('*') || control.down.has(prop)) throw fail(prop);
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (control.applyThenFail.delete(prop)) throw fail(prop);
        return result;
      };
    },
  });
  return { repository, control };
}
