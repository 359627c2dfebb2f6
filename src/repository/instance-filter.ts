/**
 * @module repository/instance-filter
 *
 * Which instances a listing, a count, a stuck scan or a bulk action takes: one filter type that every
 * store's `list` and `countInstances` accept. Data conditions compare one field of an instance's JSON
 * data with a scalar (`data.customerId = c-42`, `data.total > 100`). Paths are checked strictly here
 * (`parseDataCondition`, `checkInstanceFilter`), so a store only ever receives path segments that are
 * plain names or indexes, and passes them to SQL as a bound parameter.
 */
import { InvalidFilterError } from '../errors/invalid-filter-error.ts';
import type { SagaStatus } from './types.ts';

/** `=` and `!=` compare any scalar; the ranges compare numbers with numbers and strings with strings. */
export const DATA_OPERATORS = Object.freeze(['=', '!=', '>', '>=', '<', '<='] as const);
export type DataOperator = (typeof DATA_OPERATORS)[number];

export type DataScalar = string | number | boolean | null;

/** One condition on a field of the instance's data. `path` holds the segments below `data`. */
export interface DataCondition {
  readonly path: readonly string[];
  readonly op: DataOperator;
  readonly value: DataScalar;
}

/** What selects instances. Every field is optional; given ones must all hold. */
export interface InstanceFilter {
  readonly sagaName?: string;
  readonly state?: string;
  /** One status or any of several (an empty list matches nothing). */
  readonly status?: SagaStatus | readonly SagaStatus[];
  readonly correlationId?: string;
  /** Correlation ids that start with this text (taken literally: `%` and `_` are no wildcards). */
  readonly correlationIdPrefix?: string;
  /** Only instances whose `updatedAt` is strictly before this time (stale scans). */
  readonly updatedBefore?: Date;
  /** Only instances whose `updatedAt` is at or after this time. */
  readonly updatedAfter?: Date;
  /** Only instances created strictly before this time. */
  readonly createdBefore?: Date;
  /** Only instances created at or after this time. */
  readonly createdAfter?: Date;
  /** Only finished instances whose `completedAt` is strictly before this time (retention). */
  readonly completedBefore?: Date;
  /** Only instances last written by this definition version (`dataVersion`). */
  readonly definitionVersion?: number;
  /** Only instances last written by a definition version below this one (the ones left to migrate). */
  readonly definitionVersionBelow?: number;
  /** `false`: only instances with no pending schedule or request (nothing will wake them); `true`: only with one. */
  readonly hasSchedules?: boolean;
  /** Conditions on the instance's data, all of which must hold. */
  readonly data?: readonly DataCondition[];
}

/** Most data conditions in one filter, path segments in one path, characters in a segment or a string value. */
export const FILTER_LIMITS = Object.freeze({ conditions: 8, depth: 8, segment: 64, value: 256 });

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INDEX = /^(0|[1-9][0-9]{0,5})$/;
const CONDITION = /^\s*(data(?:\.[^\s=!<>]+)?)\s*(!=|>=|<=|=|>|<)\s*(.*?)\s*$/s;

/**
 * A condition from its text form. The value is JSON when it parses as a number, `true`, `false`, `null`
 * or a quoted string, and otherwise the text itself: `data.customerId = c-42` compares with the string
 * `"c-42"`, `data.total > 100` with the number 100, `data.code = "100"` with the string `"100"`.
 *
 * @example
 * parseDataCondition('data.customer.id = c-42'); // { path: ['customer', 'id'], op: '=', value: 'c-42' }
 * parseDataCondition('data.total >= 100');       // { path: ['total'], op: '>=', value: 100 }
 */
export function parseDataCondition(text: string): DataCondition {
  const m = CONDITION.exec(text);
  if (!m) throw new InvalidFilterError(`'${clip(text)}' is not '<data path> <operator> <value>'`);
  const path = parsePath(m[1]!);
  return checkCondition({ path, op: m[2] as DataOperator, value: parseValue(m[3]!) });
}

/** `data.a.b` → `['a', 'b']`; `InvalidFilterError` for anything but names and indexes below `data`. */
export function parsePath(text: string): readonly string[] {
  const segments = text.split('.');
  if (segments[0] !== 'data' || segments.length < 2) throw new InvalidFilterError(`the path '${clip(text)}' must start with 'data.'`);
  return segments.slice(1);
}

function parseValue(text: string): DataScalar {
  if (text === '') throw new InvalidFilterError('a condition needs a value after its operator');
  if (/^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|".*")$/s.test(text)) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || ['string', 'number', 'boolean'].includes(typeof parsed)) return parsed as DataScalar;
    } catch {
      // Not JSON after all (a quoted string with a bad escape): taken as text below.
    }
  }
  return text;
}

function checkCondition(c: DataCondition): DataCondition {
  if (!Array.isArray(c.path) || c.path.length === 0 || c.path.length > FILTER_LIMITS.depth) {
    throw new InvalidFilterError(`a data path has 1 to ${FILTER_LIMITS.depth} segments below 'data'`);
  }
  for (const segment of c.path) {
    if (typeof segment !== 'string' || segment.length > FILTER_LIMITS.segment || !(NAME.test(segment) || INDEX.test(segment))) {
      throw new InvalidFilterError(`the path segment '${clip(String(segment))}' is neither a name (letters, digits, _) nor an array index`);
    }
  }
  if (!DATA_OPERATORS.includes(c.op)) throw new InvalidFilterError(`unknown operator '${clip(String(c.op))}' (one of ${DATA_OPERATORS.join(' ')})`);
  const type = c.value === null ? 'null' : typeof c.value;
  if (!['string', 'number', 'boolean', 'null'].includes(type)) throw new InvalidFilterError('a data condition compares with a string, number, boolean or null');
  if (typeof c.value === 'number' && !Number.isFinite(c.value)) throw new InvalidFilterError('a number to compare with must be finite');
  if (typeof c.value === 'string' && (c.value.length > FILTER_LIMITS.value || c.value.includes('\u0000'))) {
    throw new InvalidFilterError(`a string to compare with has at most ${FILTER_LIMITS.value} characters and no NUL`);
  }
  if (isRange(c.op) && type !== 'string' && type !== 'number') throw new InvalidFilterError(`'${c.op}' compares numbers or strings, not ${type}`);
  return c;
}

/** A path segment that names an object key (not an array index). */
export function isName(segment: string): boolean {
  return NAME.test(segment);
}

export function isRange(op: DataOperator): boolean {
  return op !== '=' && op !== '!=';
}

/**
 * Checks a filter as a store receives it (conditions built in code, not parsed): every store calls it
 * before it queries. Returns the filter.
 */
export function checkInstanceFilter<F extends InstanceFilter>(filter: F): F {
  if (filter.data !== undefined) {
    if (filter.data.length > FILTER_LIMITS.conditions) throw new InvalidFilterError(`at most ${FILTER_LIMITS.conditions} data conditions`);
    for (const c of filter.data) checkCondition(c);
  }
  for (const key of ['updatedBefore', 'updatedAfter', 'createdBefore', 'createdAfter', 'completedBefore'] as const) {
    const at = filter[key];
    if (at !== undefined && !(at instanceof Date && Number.isFinite(at.getTime()))) throw new InvalidFilterError(`${key} is not a valid date`);
  }
  return filter;
}

/** The field a path names in `data`, or `undefined` when it is missing. */
export function valueAt(data: unknown, path: readonly string[]): unknown {
  let at: unknown = data;
  for (const segment of path) {
    if (Array.isArray(at)) {
      if (!INDEX.test(segment)) return undefined;
      at = at[Number(segment)];
    } else if (at !== null && typeof at === 'object') {
      at = Object.hasOwn(at, segment) ? (at as Record<string, unknown>)[segment] : undefined;
    } else {
      return undefined;
    }
  }
  return at;
}

/**
 * Whether `data` meets a condition, as PostgreSQL's jsonb comparison decides it: equality of scalars of
 * the same JSON type; ranges only between two numbers or two strings (strings by code unit here, by the
 * database collation on PostgreSQL: they agree on ASCII of one case, ISO dates and numbers as text).
 */
export function meetsCondition(data: unknown, c: DataCondition): boolean {
  const found = valueAt(data, c.path);
  if (c.op === '=') return found !== undefined && found === c.value;
  if (c.op === '!=') return found === undefined || found !== c.value;
  if (typeof found !== typeof c.value || (typeof found !== 'number' && typeof found !== 'string')) return false;
  const a = found as number | string;
  const b = c.value as number | string;
  switch (c.op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    default:
      return a <= b;
  }
}

/** A nested object with `value` at `path`, for a containment (`@>`) test that a GIN index serves. */
export function containmentOf(path: readonly string[], value: DataScalar): unknown {
  return path.reduceRight<unknown>((inner, segment) => ({ [segment]: inner }), value);
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The fields of a stored instance a filter reads; times in epoch milliseconds. */
export interface FilterableInstance {
  readonly sagaName: string;
  readonly state: string;
  readonly status: SagaStatus;
  readonly correlationId: string;
  readonly dataVersion: number;
  readonly data: unknown;
  readonly schedules: readonly unknown[] | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly completedAt: number | null;
}

/**
 * A predicate for a (checked) filter, for stores that scan: the in-memory repository.
 *
 * @example
 * const keep = instanceMatcher({ sagaName: 'order', data: [parseDataCondition('data.total > 100')] });
 */
export function instanceMatcher(filter: InstanceFilter): (r: FilterableInstance) => boolean {
  checkInstanceFilter(filter);
  const f = filter;
  const statuses = f.status === undefined ? undefined : new Set<string>([f.status].flat());
  const ms = (d: Date | undefined) => d?.getTime();
  const [ub, ua, cb, ca, fb] = [ms(f.updatedBefore), ms(f.updatedAfter), ms(f.createdBefore), ms(f.createdAfter), ms(f.completedBefore)];
  return (r) =>
    (f.sagaName === undefined || r.sagaName === f.sagaName) &&
    (f.state === undefined || r.state === f.state) &&
    (statuses === undefined || statuses.has(r.status)) &&
    (f.correlationId === undefined || r.correlationId === f.correlationId) &&
    (f.correlationIdPrefix === undefined || r.correlationId.startsWith(f.correlationIdPrefix)) &&
    (ub === undefined || r.updatedAt < ub) &&
    (ua === undefined || r.updatedAt >= ua) &&
    (cb === undefined || r.createdAt < cb) &&
    (ca === undefined || r.createdAt >= ca) &&
    (fb === undefined || (r.completedAt !== null && r.completedAt < fb)) &&
    (f.definitionVersion === undefined || r.dataVersion === f.definitionVersion) &&
    (f.definitionVersionBelow === undefined || r.dataVersion < f.definitionVersionBelow) &&
    (f.hasSchedules === undefined || (r.schedules !== undefined && r.schedules.length > 0) === f.hasSchedules) &&
    (f.data === undefined || f.data.every((c) => meetsCondition(r.data, c)));
}
