/**
 * @module dashboard/lib/route
 *
 * Hash routes: `#/instances?saga=order&status=active,faulted`. Everything a page shows is in its URL, so
 * a filtered list can be shared or reloaded as it is; the server never sees the route.
 */

/**
 * The current route: `path` (`/instances/abc`), its decoded `segments` and the query `params`.
 *
 * @example
 * // location.hash === '#/instances?saga=order'
 * currentRoute().params.get('saga') // 'order'
 */
export function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const at = hash.indexOf('?');
  const path = at === -1 ? hash : hash.slice(0, at);
  const params = new URLSearchParams(at === -1 ? '' : hash.slice(at + 1));
  const segments = path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { path, params, segments };
}

/**
 * A hash link. Empty and missing values are left out; commas stay readable (`status=active,faulted`).
 *
 * @example
 * href('/instances', { saga: 'order', state: '' }) // '#/instances?saga=order'
 */
export function href(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    query.set(key, String(value));
  }
  const text = query.toString().replace(/%2C/gi, ',');
  return `#${path}${text ? `?${text}` : ''}`;
}

/** A path segment for an id or name taken from data. */
export function segment(value) {
  return encodeURIComponent(String(value));
}
