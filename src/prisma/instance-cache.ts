/**
 * @module prisma/instance-cache
 *
 * An optional read-your-writes cache for `findByCorrelation`: the last record this repository committed
 * per instance, bounded, least recently used first out. It never holds what it merely read, only what it
 * wrote, so it is exact for a process that is the only writer of its instances. Where other processes
 * write the same instances, an entry can be stale; that is safe because every write is version-checked:
 * the stale write fails with `ConcurrencyError`, the entry is dropped, and the orchestrator's retry reads
 * the database. The cost is that the event's actions ran once on stale data before that retry.
 */
import { frozenStack } from '../core/deep-freeze.ts';
import type { SagaInstanceRecord } from '../repository/types.ts';

interface Entry {
  /** The record without `data`, which is kept as JSON; the compensation stack is shared, deeply frozen. */
  readonly record: SagaInstanceRecord;
  readonly data: string;
}

export class InstanceCache {
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();

  constructor(maxInstances: number) {
    if (!Number.isInteger(maxInstances) || maxInstances < 1) {
      throw new RangeError(`cache.maxInstances must be a positive integer, got ${maxInstances}`);
    }
    this.#max = maxInstances;
  }

  /** A deep copy of the cached record, or `undefined`. */
  get(sagaName: string, correlationId: string): SagaInstanceRecord | undefined {
    const key = keyOf(sagaName, correlationId);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key); // most recently used goes last
    this.#entries.set(key, entry);
    const { record } = entry;
    return {
      ...record,
      data: JSON.parse(entry.data) as unknown,
      error: record.error && { ...record.error, at: new Date(record.error.at) },
      schedules: record.schedules && copySchedules(record.schedules),
      createdAt: new Date(record.createdAt),
      updatedAt: new Date(record.updatedAt),
      completedAt: record.completedAt && new Date(record.completedAt),
    };
  }

  /**
   * Remembers a record that was just committed (copied: the caller may change its own afterwards).
   * `dataJson` is the record's data as the commit serialised it, so it is not serialised twice.
   */
  set(record: SagaInstanceRecord, dataJson: string = JSON.stringify(record.data) ?? 'null'): void {
    const key = keyOf(record.sagaName, record.correlationId);
    this.#entries.delete(key);
    this.#entries.set(key, {
      record: {
        ...record,
        data: undefined,
        compensation: frozenStack(record.compensation),
        error: record.error && { ...record.error, at: new Date(record.error.at) },
        schedules: record.schedules && copySchedules(record.schedules),
        joins: record.joins && frozenJoins(record.joins),
        createdAt: new Date(record.createdAt),
        updatedAt: new Date(record.updatedAt),
        completedAt: record.completedAt && new Date(record.completedAt),
      },
      data: dataJson,
    });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  delete(sagaName: string, correlationId: string): void {
    this.#entries.delete(keyOf(sagaName, correlationId));
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Each entry's due time is a Date, which is mutable: copies in and out. */
function copySchedules(entries: NonNullable<SagaInstanceRecord['schedules']>): NonNullable<SagaInstanceRecord['schedules']> {
  return entries.map((e) => ({ ...e, dueAt: new Date(e.dueAt) }));
}

/** Joins are read-only values: frozen ones (what the orchestrator writes) are shared, others copied once. */
function frozenJoins(joins: NonNullable<SagaInstanceRecord['joins']>): NonNullable<SagaInstanceRecord['joins']> {
  if (Object.isFrozen(joins) && Object.values(joins).every(Object.isFrozen)) return joins;
  return Object.freeze(Object.fromEntries(Object.entries(joins).map(([k, v]) => [k, Object.freeze([...v])])));
}

function keyOf(sagaName: string, correlationId: string): string {
  return `${sagaName}\u0000${correlationId}`;
}
