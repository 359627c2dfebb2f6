/**
 * `sagaflow serve` as a child process, as an operator starts it: refused on a network address without a
 * token (before it touches the database), refused with an empty token, started with a token file, and
 * saying the address it actually bound.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../helpers/postgres.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const db = useTestDatabase();
const dir = mkdtempSync(join(tmpdir(), 'sagaflow-serve-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** The CLI with no token in its environment unless `env` gives one. */
function sagaflow(args: readonly string[], env: Record<string, string> = {}) {
  const { SAGAFLOW_TOKEN: _ignored, ...base } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: root,
    env: { ...base, DATABASE_URL: db.url, ...env },
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

async function finished(args: readonly string[], env: Record<string, string> = {}) {
  const run = sagaflow(args, env);
  return { code: await run.exited, stdout: run.stdout(), stderr: run.stderr() };
}

describe('sagaflow serve, as a child process', { timeout: 90_000 }, () => {
  it('refuses 0.0.0.0 without a token, naming --insecure-no-auth, even with no database to reach', async () => {
    const [noToken, noDatabase] = await Promise.all([
      finished(['serve', '--host', '0.0.0.0', '--port', '0']),
      finished(['serve', '--host', '0.0.0.0', '--port', '0'], { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' }),
    ]);
    for (const result of [noToken, noDatabase]) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error \[SAGA_SERVER_INSECURE\]: refusing to serve on 0\.0\.0\.0 .*--insecure-no-auth/);
    }
  });

  it('refuses an empty token from the environment, the command line or a file', async () => {
    const empty = join(dir, 'empty-token');
    writeFileSync(empty, '\n');
    const results = await Promise.all([
      finished(['serve', '--port', '0'], { SAGAFLOW_TOKEN: '' }),
      finished(['serve', '--port', '0', '--token', '']),
      finished(['serve', '--port', '0', '--token-file', empty]),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error \[SAGA_TOKEN_INVALID\]: unusable API token: .*empty/);
    }
  });

  it('serves on every interface with a token file, prints the bound address and port, and stops on SIGTERM', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'from-a-file\n');
    const run = sagaflow(['serve', '--host', '0.0.0.0', '--port', '0', '--token-file', file]);
    const deadline = Date.now() + 60_000;
    let line: RegExpExecArray | null = null;
    while (!(line = /listening on 0\.0\.0\.0:(\d+), open http:\/\/127\.0\.0\.1:(\d+) \(token required, actions enabled/.exec(run.stdout())) && Date.now() < deadline) {
      if (run.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(line, run.stderr()).not.toBeNull();
    const port = Number(line![1]);
    expect(port).toBeGreaterThan(0);
    expect(line![2]).toBe(line![1]);
    expect(run.stdout()).not.toContain('from-a-file');

    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/api/meta`)).status).toBe(401);
    expect((await fetch(`${url}/api/meta`, { headers: { authorization: 'Bearer from-a-file' } })).status).toBe(200);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain('stopped');
  });
});
