/**
 * @module runtime/hydrate
 * Turns a stored record's data into the saga's typed data: migrate from older definition versions, then
 * validate. A row that fails is reported as `InstanceDataError` naming the instance, so schema drift never
 * surfaces as a crash inside a handler.
 */
import { InstanceDataError } from '../errors/instance-data-error.ts';
import type { SagaInstanceRecord } from '../repository/types.ts';
import type { CompiledSaga } from '../core/compiled-saga.ts';
import { migrateInstance } from '../evolution/migrate-instance.ts';

export function hydrateData(saga: CompiledSaga, record: SagaInstanceRecord): unknown {
  // An instance an older definition wrote is read as the current one would hold it (the same pure
  // migration the lazy and eager paths write); a newer one is refused (`SagaVersionNewerError`).
  const data = record.dataVersion === saga.definition.dataVersion ? record.data : migrateInstance(saga, record, new Date()).record.data;
  const result = saga.definition.dataSchema.safeParse(data);
  if (!result.success) throw new InstanceDataError(saga.name, record.id, record.correlationId, 'load', result.error.issues);
  return result.data;
}

/** Validates data that actions produced, before it is written. */
export function checkDataForWrite(saga: CompiledSaga, id: string, correlationId: string, data: unknown): unknown {
  const result = saga.definition.dataSchema.safeParse(data);
  if (!result.success) throw new InstanceDataError(saga.name, id, correlationId, 'write', result.error.issues);
  return result.data;
}
