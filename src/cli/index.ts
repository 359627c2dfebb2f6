#!/usr/bin/env node
/**
 * @module cli
 *
 * The `sagaflow` command. One sub-command a module; this file only dispatches.
 */
import { runMigrate } from './migrate-command.ts';

const commands: Record<string, (args: readonly string[], print: (line: string) => void) => Promise<number>> = {
  migrate: runMigrate,
};

const [name, ...args] = process.argv.slice(2);
const command = name === undefined ? undefined : commands[name];
if (!command) {
  console.log(`usage: sagaflow <command>\n\ncommands:\n  ${Object.keys(commands).join('\n  ')}`);
  process.exitCode = name === undefined || name === '--help' ? 0 : 2;
} else {
  command(args, (line) => console.log(line)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
