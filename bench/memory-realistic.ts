/**
 * @module bench/memory-realistic
 *
 * Runs an in-memory realistic workload (`bench/memory-child.ts`) in a Node.js process of its own, with
 * `--expose-gc` so that heap sizes are read after a full collection, and returns what it printed.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

/** `mode` `scale` or `open-loop`, with `live` accounts, measured for `seconds`. */
export async function memoryWorkload(mode: 'scale' | 'open-loop', live: number, seconds: number): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', CHILD, mode, String(live), String(seconds)], {
    maxBuffer: 1024 * 1024,
  });
  const line = stdout.trim().split('\n').at(-1)!;
  return JSON.parse(line) as Record<string, unknown>;
}
