/**
 * @module evolution/check-migrations
 * Definition-time checks of a saga's versions and migrations: every older version has a migration (or a
 * data `upgrade`), and every name a migration leads to can still be placed by the current version, through
 * the later migrations. A gap is a `DefinitionError` when the saga is defined (states) or built (events and
 * compensation steps, which are declared after `defineSaga`), never a stranded instance in production.
 */
import { DefinitionError, type DefinitionLocation } from '../errors/definition-error.ts';
import { FINAL_STATE } from '../dsl/activities.ts';
import type { SagaMigration, SagaMigrations, StateTarget } from './migration.ts';

/**
 * Checks the options and folds `upgrade[n]` into `migrations[n].data`, so the runtime knows one mechanism.
 * `version` is the definition version (formerly the data version).
 */
export function normalizeMigrations(
  where: DefinitionLocation,
  version: number,
  migrations: SagaMigrations | undefined,
  upgrade: Readonly<Record<number, (data: unknown) => unknown>> | undefined,
): SagaMigrations {
  const out: Record<number, SagaMigration> = {};
  for (const key of [...Object.keys(migrations ?? {}), ...Object.keys(upgrade ?? {})]) {
    const v = Number(key);
    if (!Number.isInteger(v) || v < 1 || v >= version) {
      throw new DefinitionError(where, `migrations/upgrade key ${key}: expected an earlier version, 1 to ${version - 1} (migrations[n] turns version n into n+1)`);
    }
  }
  for (let v = 1; v < version; v++) {
    const m = migrations?.[v];
    const up = upgrade?.[v];
    if (m === undefined && up === undefined) {
      throw new DefinitionError(where, `version ${version} needs migrations[${v}] or upgrade[${v}] (version ${v} to ${v + 1}); use {} when nothing changed`);
    }
    if (m !== undefined && (typeof m !== 'object' || m === null)) throw new DefinitionError(where, `migrations[${v}] must be an object`);
    if (up !== undefined && typeof up !== 'function') throw new DefinitionError(where, `upgrade[${v}] must be a function`);
    if (m?.data !== undefined && up !== undefined) {
      throw new DefinitionError(where, `version ${v} has both upgrade[${v}] and migrations[${v}].data: keep one`);
    }
    if (m?.data !== undefined && typeof m.data !== 'function') throw new DefinitionError(where, `migrations[${v}].data must be a function`);
    checkShapes(where, v, m ?? {});
    out[v] = Object.freeze({ ...m, ...(up && { data: up }) });
  }
  return Object.freeze(out);
}

function checkShapes(where: DefinitionLocation, v: number, m: SagaMigration): void {
  for (const [name, target] of Object.entries(m.states ?? {})) {
    if (targetsOf(target) === null) {
      throw new DefinitionError(
        { ...where, state: name },
        `migrations[${v}].states: expected a state name, { compensate: state }, { fault: reason } or { among, pick }`,
      );
    }
  }
  for (const part of ['events', 'commands'] as const) {
    for (const [name, to] of Object.entries(m[part] ?? {})) {
      if (typeof to !== 'string' || to.length === 0) throw new DefinitionError(where, `migrations[${v}].${part}.${name}: expected the new name`);
    }
  }
  for (const [name, to] of Object.entries(m.compensations ?? {})) {
    if (to !== null && (typeof to !== 'string' || to.length === 0)) {
      throw new DefinitionError(where, `migrations[${v}].compensations.${name}: expected the new step name, or null to drop it`);
    }
  }
}

/** The states a target may lead to; `[]` for a fault; `null` when it is not a target. */
function targetsOf(target: StateTarget | undefined): readonly string[] | null {
  if (typeof target === 'string') return target.length ? [target] : null;
  if (typeof target !== 'object' || target === null) return null;
  if ('fault' in target) return typeof target.fault === 'string' ? [] : null;
  if ('compensate' in target) return typeof target.compensate === 'string' ? [target.compensate] : null;
  if ('among' in target && Array.isArray(target.among) && typeof target.pick === 'function') return target.among;
  return null;
}

/**
 * Walks the migrations from the newest back: `placeable(v)` is what a version-v name may be so that the
 * current version can run it. A name a migration leads to that the next version cannot place is a gap.
 */
function checkChain(
  where: DefinitionLocation,
  version: number,
  migrations: SagaMigrations,
  current: ReadonlySet<string>,
  part: 'states' | 'compensations' | 'events',
  what: string,
): void {
  let placeable = new Set(current);
  for (let v = version - 1; v >= 1; v--) {
    const m = migrations[v] ?? {};
    const map: Readonly<Record<string, unknown>> = m[part] ?? {};
    const next = new Set([...placeable].filter((n) => !(n in map)));
    for (const [name, target] of Object.entries(map)) {
      const targets = part === 'states' ? (targetsOf(target as StateTarget) ?? []) : target === null ? [] : [target as string];
      for (const t of targets) {
        if (!placeable.has(t)) {
          throw new DefinitionError(
            part === 'states' ? { ...where, state: name } : where,
            `migrations[${v}].${part} leads version-${v} ${what} '${name}' to '${t}', which version ${v + 1} cannot place ` +
              `(version ${version} has: ${[...current].join(', ') || 'none'}); add a mapping for '${t}' in a later migration`,
          );
        }
      }
      next.add(name);
    }
    const declared = part === 'states' ? m.fromStates : part === 'compensations' ? m.fromCompensations : undefined;
    for (const name of declared ?? []) {
      if (!next.has(name)) {
        throw new DefinitionError(
          part === 'states' ? { ...where, state: name } : where,
          `version ${v} ${what} '${name}' has no place in version ${version}: map it in migrations[${v}].${part}`,
        );
      }
    }
    placeable = next;
  }
}

/** At `defineSaga`: every state a migration leads to is placeable in the current version. */
export function checkStateMigrations(where: DefinitionLocation, version: number, migrations: SagaMigrations, states: readonly string[]): void {
  checkChain(where, version, migrations, new Set([...states, FINAL_STATE]), 'states', 'state');
}

/** When the saga is built: events and compensation steps the migrations lead to exist in the current version. */
export function checkNameMigrations(
  where: DefinitionLocation,
  version: number,
  migrations: SagaMigrations,
  events: ReadonlySet<string>,
  compensations: ReadonlySet<string>,
): void {
  checkChain(where, version, migrations, events, 'events', 'event');
  checkChain(where, version, migrations, compensations, 'compensations', 'compensation step');
}
