import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');

describe('examples/replay.ts', () => {
  it('exports last week\'s orders and finds the one order next week\'s change treats differently', { timeout: 120_000 }, async () => {
    const { stdout } = await run(join(repo, 'node_modules/.bin/tsx'), [join(repo, 'examples/replay.ts')], { cwd: repo });
    expect(stdout).toBe(
      [
        'exported 3 instances, 8 events',
        'refactor: all replay as recorded',
        'review above 1000: 1 of 3 diverge',
        "  o-2: state at event 1: after 'PaymentCaptured' the instance went to 'Shipping'; the new definition goes to 'InReview'",
        '',
      ].join('\n'),
    );
  });
});
