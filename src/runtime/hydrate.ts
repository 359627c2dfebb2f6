/**
 * @module runtime/hydrate
 * Turns a stored record's data into the saga's typed data: upgrade from older data versions, then
 * validate. A row that fails is reported as `InstanceDataError` naming the instance, so schema drift never
 * surfaces as a crash inside a handler.
 */
import { InstanceDataError } from '../errors/instance-data-error.ts';
import type { SagaInstanceRecord } from '../repository/types.ts';
import type { CompiledSaga } from '../core/compiled-saga.ts';

export function hydrateData(saga: CompiledSaga, record: SagaInstanceRecord): unknown {
  const def = saga.definition;
  let data = record.data;
  const from = record.dataVersion ?? 1;
  if (from > def.dataVersion) {
    throw new InstanceDataError(saga.name, record.id, record.correlationId, 'load', [
      {
        code: 'custom',
        path: [],
        message: `stored data version ${from} is newer than this saga's version ${def.dataVersion} (an older deployment?)`,
        input: undefined,
      } as never,
    ]);
  }
  try {
    for (let v = from; v < def.dataVersion; v++) data = def.upgrade[v]!(data);
  } catch (error) {
    throw new InstanceDataError(saga.name, record.id, record.correlationId, 'load', [
      { code: 'custom', path: [], message: `upgrade from version ${from} threw: ${String(error)}`, input: undefined } as never,
    ]);
  }
  const result = def.dataSchema.safeParse(data);
  if (!result.success) throw new InstanceDataError(saga.name, record.id, record.correlationId, 'load', result.error.issues);
  return result.data;
}

/** Validates data that actions produced, before it is written. */
export function checkDataForWrite(saga: CompiledSaga, id: string, correlationId: string, data: unknown): unknown {
  const result = saga.definition.dataSchema.safeParse(data);
  if (!result.success) throw new InstanceDataError(saga.name, id, correlationId, 'write', result.error.issues);
  return result.data;
}
