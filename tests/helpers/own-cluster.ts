/**
 * @module tests/helpers/own-cluster
 *
 * A PostgreSQL cluster of a test's own, for tests that crash the server: `initdb` into a temporary
 * folder as the `postgres` OS user, on a free port, its unix socket in that folder, fsync on (a crash
 * must lose nothing that committed). `crash()` is `pg_ctl -m immediate stop` (no checkpoint, crash
 * recovery at the next start), `start()` brings it back. The machine's shared server is never touched:
 * every command names this cluster's data folder.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The newest installed PostgreSQL's binaries. */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error(`no PostgreSQL binaries under ${root}`);
  return join(root, newest, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface OwnCluster {
  readonly port: number;
  /** The superuser URL of a database on it. */
  url(database?: string): string;
  /** `pg_ctl -m immediate stop`: every backend dies at once, nothing is checkpointed. */
  crash(): Promise<void>;
  /** Starts it (crash recovery after `crash()`) and waits until it takes connections. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

/**
 * Creates and starts a cluster; call `destroy()` in a `finally`.
 *
 * @example
 * const cluster = await createOwnCluster();
 * await cluster.crash(); await cluster.start();
 * await cluster.destroy();
 */
export async function createOwnCluster(): Promise<OwnCluster> {
  const bin = binDir();
  const root = mkdtempSync(join(tmpdir(), 'sagaflow-pg-'));
  chmodSync(root, 0o755);
  const data = join(root, 'data');
  const socketDir = join(root, 'socket');
  const log = join(root, 'server.log');
  const postgres = await run('id', ['-u', 'postgres']).then((r) => Number(r.stdout.trim()));
  const group = await run('id', ['-g', 'postgres']).then((r) => Number(r.stdout.trim()));
  for (const dir of [root]) chownSync(dir, postgres, group);
  const asPostgres = (file: string, args: readonly string[]) => run('runuser', ['-u', 'postgres', '--', join(bin, file), ...args], { timeout: 60_000 });
  await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  await run('runuser', ['-u', 'postgres', '--', 'mkdir', '-p', socketDir]);
  writeFileSync(log, '');
  chownSync(log, postgres, group);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${socketDir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=on',
    '-c synchronous_commit=on',
    // Crash recovery starts by syncing the data folder: one syncfs instead of an fsync per file (seconds on a busy disk).
    '-c recovery_init_sync_method=syncfs',
    '-c max_connections=60',
    '-c shared_buffers=32MB',
  ].join(' ');
  let running = false;
  // A test that times out may end the process before its `finally`: the server must not outlive it.
  const onExit = () => {
    if (!running) return;
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'], { stdio: 'ignore', timeout: 10_000 });
      rmSync(root, { recursive: true, force: true });
    } catch {
      // nothing more to do on the way out
    }
  };
  process.once('exit', onExit);
  const cluster: OwnCluster = {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async crash() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      running = false;
    },
    async start() {
      await asPostgres('pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
      running = true;
      await waitForConnections(cluster.url());
    },
    async destroy() {
      if (running) await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', 'stop']).catch(() => {});
      running = false;
      process.removeListener('exit', onExit);
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await cluster.start();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}

async function waitForConnections(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}
