#!/usr/bin/env node
/**
 * @module cli
 *
 * The `sagaflow` command (`npx sagaflow`, or `npm run sagaflow --` from a checkout). The sub-commands are
 * in `program.ts`; this file only connects them to the process: arguments, output, signals, exit code.
 */
import { processIo } from './io.ts';
import { runCli } from './program.ts';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

process.exitCode = await runCli(process.argv.slice(2), processIo, { signal: stop.signal });
