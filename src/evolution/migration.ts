/**
 * @module evolution/migration
 * The vocabulary of definition versions and migrations (docs/evolution.md).
 *
 * Terminology
 * - definition version: `defineSaga(name, { version })`, default 1. Every write stores it with the
 *   instance (`SagaInstanceRecord.dataVersion`, column `data_version`; rows from before versions existed
 *   hold 1). It used to be called the data version: the data `upgrade` functions are the data part of a
 *   migration.
 * - migration n: `migrations[n]` turns an instance written by version n into one version n+1 can run,
 *   as `upgrade[n]` always did for data. Migrations compose: a version-1 instance under version 3 goes
 *   through `migrations[1]` then `migrations[2]`.
 * - a name a migration does not mention (state, event, compensation step) is kept as it is.
 */

/** Where an instance in a state of version n goes in version n+1. */
export type StateTarget<S extends string = string> =
  /** The state it is in now (a rename, or a removed state mapped onto another). */
  | S
  /** Split: `pick` chooses, from the instance's (old) data, one of `among`. */
  | { readonly among: readonly S[]; readonly pick: (data: unknown) => S }
  /** Unwind the compensation stack now, then rest in `compensate` (a final state ends it as faulted). */
  | { readonly compensate: S }
  /** Give up on it: the instance ends `faulted` in `Final`, no compensation, `fault` as the error message. */
  | { readonly fault: string };

/**
 * How instances of version n become instances of version n+1. Every part is optional: `{}` says only
 * "nothing the instances hold changed".
 *
 * @example
 * migrations: {
 *   1: {
 *     states: { AwaitingPayment: 'AwaitingCharge', Legacy: { compensate: 'Cancelled' } },
 *     events: { PaymentOk: 'PaymentCaptured' },
 *     compensations: { refund: 'refundCharge', audit: null },
 *     data: (d) => ({ ...(d as object), currency: 'EUR' }),
 *   },
 * }
 */
export interface SagaMigration<S extends string = string> {
  /** Version-n states that version n+1 renamed, removed, split or gives up on. */
  readonly states?: Readonly<Record<string, StateTarget<S>>>;
  /** Renamed events: pending schedules and joins are renamed, and messages in flight under the old name are routed to the new one. */
  readonly events?: Readonly<Record<string, string>>;
  /** Renamed commands: pending requests (`request:<Command>` and their outcome events) follow. */
  readonly commands?: Readonly<Record<string, string>>;
  /** Renamed compensation steps, or `null` to drop a step from every stack. */
  readonly compensations?: Readonly<Record<string, string | null>>;
  /** Version-n data to version-n+1 data (the same as `upgrade[n]`, which remains as a shorthand). */
  readonly data?: (data: unknown) => unknown;
  /**
   * Optional: every state version n declared. With it the definition check is complete (a version-n state
   * that the current version cannot place is a `DefinitionError`); without it only the names the
   * migrations mention are checked, and `sagaflow check` finds the rest in the database.
   */
  readonly fromStates?: readonly string[];
  /** Optional, like `fromStates`: every compensation step version n declared. */
  readonly fromCompensations?: readonly string[];
}

/** `migrations[n]`: version n to n+1. */
export type SagaMigrations<S extends string = string> = Readonly<Record<number, SagaMigration<S>>>;

/** One thing a migration changed on an instance (the `sagaflow.migrated` history row lists them). */
export type MigrationChange =
  | { readonly kind: 'state'; readonly from: string; readonly to: string }
  | { readonly kind: 'compensate'; readonly from: string; readonly to: string }
  | { readonly kind: 'fault'; readonly from: string; readonly reason: string }
  | { readonly kind: 'schedule'; readonly key: string; readonly from: string; readonly to: string; readonly newKey?: string }
  | { readonly kind: 'schedule-cancelled'; readonly key: string; readonly type: string }
  | { readonly kind: 'join'; readonly from: string; readonly to: string }
  | { readonly kind: 'compensation'; readonly from: string; readonly to: string | null }
  | { readonly kind: 'data'; readonly version: number };

/** The history row's event type for a migration write. */
export const MIGRATED_EVENT = 'sagaflow.migrated';

/** The error code stored on an instance a migration gave up on (`{ fault }`). */
export const MIGRATION_FAULT = 'SAGA_MIGRATION_FAULT';

/** The four outcome events a command named `name` has (`messages/command-outcomes.ts`). */
export function outcomeNames(name: string): readonly string[] {
  return ['Completed', 'Failed', 'Cancelled', 'TimedOut'].map((s) => `${name}.${s}`);
}

/** The event renames of one migration, command renames included (as renames of their outcome events). */
export function eventRenames(m: SagaMigration): ReadonlyMap<string, string> {
  const renames = new Map(Object.entries(m.events ?? {}));
  for (const [from, to] of Object.entries(m.commands ?? {})) {
    const old = outcomeNames(from);
    const now = outcomeNames(to);
    old.forEach((o, i) => renames.set(o, now[i]!));
  }
  return renames;
}
