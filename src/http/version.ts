/**
 * @module http/version
 * Sagaflow's own version, for `GET /api/meta`: read once from the package's `package.json`, which is
 * two folders up both from `src/http` (tsx) and from `dist/http` (the build).
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function sagaflowVersion(): string {
  if (cached === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
