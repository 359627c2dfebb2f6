import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');

describe('examples/console-find.ts', () => {
  it('searches by data with totals, finds the waiting order stuck, counts, and purges the finished orders a month on', { timeout: 120_000 }, async () => {
    const { stdout } = await run(join(repo, 'node_modules/.bin/tsx'), [join(repo, 'examples/console-find.ts')], { cwd: repo });
    expect(stdout).toBe(
      [
        'orders over 50: 3 (order-1-x, order-2-x, order-5-x)',
        "bob's orders: 1, in Failed",
        'stuck: 1 (idle 1)',
        'dead letters: 1',
        'last hour, order: 14 events applied, 2 compensated, 0 failed',
        'a month on: 4 finished orders to purge; purged 4; 1 left',
        '',
      ].join('\n'),
    );
  });
});
