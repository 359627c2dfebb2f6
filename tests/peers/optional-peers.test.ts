/**
 * Optional peers: a missing one is a typed error that names the package and the install command, and
 * `sagaflow/prisma` loads none of its peers (nor sets globals) until they are used.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSagaflowError, MissingPeerError, PEER_MISSING } from '../../src/index.ts';
import { importPeer, PEER_GROUPS } from '../../src/peers/optional-peers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('importPeer', () => {
  it('turns a package that is not installed into MissingPeerError with the install command', async () => {
    const error = await importPeer('sagaflow-test-absent-peer', 'prisma', () => import('sagaflow-test-absent-peer' as string)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingPeerError);
    expect(isSagaflowError(error, PEER_MISSING)).toBe(true);
    expect((error as MissingPeerError).peer).toBe('sagaflow-test-absent-peer');
    expect((error as Error).message).toBe(
      `sagaflow/prisma needs the package 'sagaflow-test-absent-peer', which is not installed: run \`${PEER_GROUPS.prisma.install}\``,
    );
    expect((error as Error).cause).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
  });

  it('maps a peer missing deeper in the module graph, and only the peers it is told about', async () => {
    const load = () => import('./fixtures/imports-missing.mjs' as string);
    const mapped = await importPeer(['hono', 'sagaflow-test-absent-peer'], 'http', load).catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(MissingPeerError);
    expect((mapped as Error).message).toContain('run `npm install hono @hono/node-server`');
    const other = await importPeer('hono', 'http', load).catch((e: unknown) => e);
    expect(other).not.toBeInstanceOf(MissingPeerError);
    expect(other).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
  });

  it('lets other failures through unchanged', async () => {
    const boom = new Error('boom');
    await expect(importPeer('pg', 'prisma', () => Promise.reject(boom))).rejects.toBe(boom);
    expect(await importPeer('pg', 'prisma', async () => 42)).toBe(42);
  });
});

describe('sagaflow/prisma on import', () => {
  it('loads no peer and sets no global until a repository or a migration needs one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sagaflow-trace-'));
    const trace = join(dir, 'resolved.txt');
    try {
      const hooks = new URL('./fixtures/trace-resolve.mjs', import.meta.url).href;
      const register = `data:text/javascript,import{register}from'node:module';register(${JSON.stringify(hooks)})`;
      const script = `await import('./src/prisma/index.ts'); console.log(JSON.stringify({ dirname: typeof globalThis.__dirname }));`;
      const result = spawnSync(process.execPath, ['--import', register, '--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: root,
        env: { ...process.env, TRACE_FILE: trace },
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({ dirname: 'undefined' });
      const resolved = (await readFile(trace, 'utf8')).split('\n');
      expect(resolved.some((s) => s.endsWith('/prisma-saga-repository.ts'))).toBe(true); // the trace works
      for (const peer of ['@electric-sql/pglite', 'pglite-prisma-adapter', 'pg', '@prisma/adapter-pg', '@prisma/client/runtime/client']) {
        expect([peer, resolved.includes(peer)]).toEqual([peer, false]);
      }
      expect(resolved.some((s) => s.includes('generated/client'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
