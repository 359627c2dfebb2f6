/**
 * @module dashboard/static-files
 *
 * Serves files from one directory on disk, and nothing outside it: a request path is checked segment by
 * segment before it is joined, so `..`, encoded separators or absolute paths never reach the file system.
 * Each answer carries an ETag from the file's size and modification time, so browsers revalidate cheaply
 * and always see a file that changed (the dashboard has no build step, hence no hashed file names).
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

/** Content types of the files the dashboard serves; anything else is not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
});

export interface StaticDirectory {
  /** The absolute directory files are served from. */
  readonly root: string;
  /** `Cache-Control` of every answer. */
  readonly cacheControl: string;
}

/**
 * A safe relative path (`a/b.js`) or `null` when any segment could escape the root or is hidden.
 *
 * @example
 * safeRelativePath('lib/dom.js');   // 'lib/dom.js'
 * safeRelativePath('../secret.js'); // null
 */
export function safeRelativePath(requested: string): string | null {
  if (requested.length === 0 || requested.length > 512) return null;
  const segments = requested.split('/');
  for (const segment of segments) {
    // Empty (`a//b`, leading `/`), dot files and `..`, and anything a file system could read as a separator.
    if (segment === '' || segment.startsWith('.') || /[\\\0:]/.test(segment)) return null;
  }
  return segments.join('/');
}

/**
 * The answer for `requested` (a path relative to `dir.root`), or `null` when there is no such file or the
 * path is not allowed; the caller answers 404 then.
 *
 * @example
 * const dir = { root: '/srv/assets', cacheControl: 'no-cache' };
 * const response = await serveFile(dir, 'app.js', request.headers.get('if-none-match'));
 */
export async function serveFile(dir: StaticDirectory, requested: string, ifNoneMatch?: string | null): Promise<Response | null> {
  const relative = safeRelativePath(requested);
  if (relative === null) return null;
  const type = CONTENT_TYPES[extname(relative).toLowerCase()];
  if (type === undefined) return null;
  const root = resolve(dir.root);
  const path = resolve(join(root, relative));
  if (!path.startsWith(root + sep)) return null;
  let info;
  try {
    info = await stat(path);
  } catch {
    return null;
  }
  if (!info.isFile()) return null;
  const etag = `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
  const headers = { 'content-type': type, 'cache-control': dir.cacheControl, etag };
  if (ifNoneMatch === etag) return new Response(null, { status: 304, headers });
  const body = await readFile(path);
  return new Response(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), { status: 200, headers });
}
