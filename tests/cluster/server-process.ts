/**
 * @module tests/cluster/server-process
 * A broker server of the test's own (redis-server, nats-server, as installed on this machine) on a free
 * port, with its data in a temporary directory: the cluster scenario stops and starts it as a broker
 * restart, without touching the shared services other test files use at the same time. What it stored
 * survives the restart (Redis with an fsync'ed append-only file, JetStream with its store directory).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class ServerProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'sagaflow-h19b-broker-'));
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  /** `args(dir)` is the command line; the server must accept TCP connections on `port` once up. */
  constructor(
    readonly command: string,
    readonly port: number,
    readonly args: (dir: string) => string[],
  ) {}

  async start(timeoutMs = 20_000): Promise<void> {
    if (this.#child) return;
    const child = (this.#child = spawn(this.command, this.args(this.dir), { stdio: 'ignore' }));
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.#exited.then(() => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await accepts(this.port))) {
      if (this.#child !== child) throw new Error(`${this.command} exited at start`);
      if (Date.now() > deadline) throw new Error(`${this.command} did not listen on ${this.port} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM (a clean shutdown that keeps what was stored) and the exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    child.kill('SIGTERM');
    await this.#exited;
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
