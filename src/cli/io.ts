/**
 * @module cli/io
 *
 * Where a command writes, and the environment it reads: the real process for `sagaflow`, something a
 * test captures otherwise. Commands never touch `process` directly.
 */
export interface CliIo {
  /** One line of results, to stdout. */
  out(line: string): void;
  /** One line of diagnostics, to stderr. */
  err(line: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Milliseconds since the epoch, for ages in tables. */
  now(): number;
}

export const processIo: CliIo = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  env: process.env,
  now: () => Date.now(),
};

/**
 * An io that keeps what commands write, for tests and for embedding.
 *
 * @example
 * const io = capturingIo({ DATABASE_URL: url });
 * await runCli(['list', '--json'], io);
 * JSON.parse(io.stdout());
 */
export function capturingIo(env: Record<string, string | undefined> = {}): CliIo & { stdout(): string; stderr(): string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (line) => void out.push(line),
    err: (line) => void err.push(line),
    env,
    now: () => Date.now(),
    stdout: () => out.map((l) => `${l}\n`).join(''),
    stderr: () => err.map((l) => `${l}\n`).join(''),
  };
}
