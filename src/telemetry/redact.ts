/**
 * @module telemetry/redact
 * Hides secrets in log fields before they are written, by path, as pino's `redact` does:
 * `'data.card'`, `'payload.password'`, `'*.token'` (`*` is any key at that level, array indexes
 * included). The caller's objects are never changed: only the objects on a redacted path are copied.
 */

/** What a redacted value becomes. */
export const REDACTED = '[REDACTED]';

interface PathNode {
  /** Replace the value here. */
  leaf: boolean;
  readonly children: Map<string, PathNode>;
}

/**
 * Compiles `paths` once into a function that returns `fields` with those values replaced by
 * `[REDACTED]` (the same object when none of them is present).
 *
 * @throws RangeError for a path with an empty segment, such as `'a..b'`
 * @example
 * const hide = redactor(['payload.password', '*.token']);
 * hide({ msg: 'x', payload: { user: 'ann', password: 'p' }, auth: { token: 't' } });
 * // { msg: 'x', payload: { user: 'ann', password: '[REDACTED]' }, auth: { token: '[REDACTED]' } }
 */
export function redactor(paths: readonly string[]): <T extends object>(fields: T) => T {
  const root: PathNode = { leaf: false, children: new Map() };
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.some((s) => s.length === 0)) {
      throw new RangeError(`redact path '${path}' has an empty segment: write keys separated by single dots, such as 'data.card'`);
    }
    let node = root;
    for (const segment of segments) {
      let child = node.children.get(segment);
      if (child === undefined) node.children.set(segment, (child = { leaf: false, children: new Map() }));
      node = child;
    }
    node.leaf = true;
  }
  if (root.children.size === 0) return (fields) => fields;
  return (fields) => redactIn(fields, root) as typeof fields;
}

function redactIn(value: unknown, node: PathNode): unknown {
  if (!isContainer(value)) return value;
  let copy: Record<string, unknown> | unknown[] | undefined;
  const set = (key: string, next: unknown) => {
    copy ??= Array.isArray(value) ? value.slice() : { ...value };
    (copy as Record<string, unknown>)[key] = next;
  };
  for (const [segment, child] of node.children) {
    const keys = segment === '*' ? Object.keys(value) : Object.hasOwn(value, segment) ? [segment] : [];
    for (const key of keys) {
      const current = (value as Record<string, unknown>)[key];
      if (child.leaf) {
        set(key, REDACTED);
        continue;
      }
      const next = redactIn((copy as Record<string, unknown> | undefined)?.[key] ?? current, child);
      if (next !== current) set(key, next);
    }
  }
  return copy ?? value;
}

/** Plain objects and arrays are walked; class instances (errors, dates) are left as they are. */
function isContainer(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
