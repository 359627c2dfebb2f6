import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = new URL('../../src/', import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'generated' ? [] : files(join(dir, e.name))) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('package boundaries', () => {
  it('keeps Prisma, pg and PGlite out of everything but sagaflow/prisma and the CLI', () => {
    const offenders = files(src)
      .map((f) => relative(src, f))
      .filter((f) => !f.startsWith('prisma/') && !f.startsWith('cli/'))
      .filter((f) =>
        /from ['"](@prisma\/|prisma\/|pg['"]|@electric-sql\/|pglite-prisma-adapter|(\.\.\/)+prisma\/|\.\/prisma\/)/.test(
          readFileSync(join(src, f), 'utf8'),
        ),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps hono out of everything but sagaflow/http and its dashboard, and commander out of everything but the CLI', () => {
    const offenders = files(src)
      .map((f) => relative(src, f))
      .filter((f) => {
        const text = readFileSync(join(src, f), 'utf8');
        const hono = /from ['"](hono|@hono\/)/.test(text) && !f.startsWith('http/') && !f.startsWith('dashboard/') && !f.startsWith('cli/');
        const commander = /from ['"]commander['"]/.test(text) && !f.startsWith('cli/');
        return hono || commander;
      });
    expect(offenders).toEqual([]);
    // The core's entry point reaches neither, directly or through the modules it exports.
    expect(readFileSync(join(src, 'index.ts'), 'utf8')).not.toMatch(/from ['"]\.\/(http|dashboard|cli)\//);
  });
});
