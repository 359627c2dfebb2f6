/**
 * @module tests/cluster/workers
 * Worker processes of `examples/cluster/worker.ts`, as the e2e test runs them: spawned with
 * `node --import tsx`, ready once they log `"msg":"worker started"`, SIGKILLed or stopped with SIGTERM.
 * Their stdout (JSON lines) is read as it comes so that a pipe never fills; the test keeps counts and
 * the last lines of stderr for its failure messages. `killAll()` is for `afterAll`: no child survives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../../examples/cluster/worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One worker process and what it said. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<WorkerExit>;
  /** Lines of stdout that were JSON, by their `msg`. */
  readonly messages = new Map<string, number>();
  readonly stderrTail: string[] = [];
  readonly #ready: Promise<void>;
  #alive = true;

  constructor(
    readonly name: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      env: { ...process.env, WORKER_NAME: name, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let started: () => void = () => {};
    this.#ready = new Promise((resolve) => (started = resolve));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const msg = messageOf(line);
      if (msg === undefined) return;
      if (process.env.CLUSTER_TRACE) console.log(`${this.name} ${line}`);
      this.messages.set(msg, (this.messages.get(msg) ?? 0) + 1);
      if (msg === 'worker started') started();
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 30) this.stderrTail.shift();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#alive = false;
        resolve({ code, signal });
      });
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  count(msg: string): number {
    return this.messages.get(msg) ?? 0;
  }

  /** Resolves once the worker logged that it started; rejects if it exits first or takes too long. */
  async ready(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const failed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} did not log "worker started" within ${timeoutMs} ms:\n${this.stderrTail.join('\n')}`)), timeoutMs);
      void this.exited.then((e) => reject(new Error(`${this.name} exited (${e.code ?? e.signal}) before it started:\n${this.stderrTail.join('\n')}`)));
    });
    try {
      await Promise.race([this.#ready, failed]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.#alive) this.child.kill(signal);
  }

  /** SIGTERM, then the exit; SIGKILL (and a rejection) if it has not exited within `timeoutMs`. */
  async stop(timeoutMs: number): Promise<WorkerExit> {
    this.kill('SIGTERM');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
    const result = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (result !== 'late') return result;
    this.kill('SIGKILL');
    throw new Error(`${this.name} did not stop within ${timeoutMs} ms of SIGTERM:\n${this.stderrTail.join('\n')}`);
  }
}

function messageOf(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return typeof parsed.msg === 'string' ? parsed.msg : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILLs every worker still alive and waits for the exits: for `afterAll`, whatever happened. */
export async function killAll(workers: readonly WorkerProcess[]): Promise<void> {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
}
