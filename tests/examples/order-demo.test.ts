import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');

describe('npm run demo (examples/order-demo.ts)', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('persists to an embedded database that a second run reads back', { timeout: 120_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'sagaflow-demo-'));
    const env = { ...process.env };
    delete env.DATABASE_URL; // the embedded default
    const demo = () => run(join(repo, 'node_modules/.bin/tsx'), [join(repo, 'examples/order-demo.ts')], { cwd: dir, env });

    const first = await demo();
    expect(first.stdout).toContain('persisted to embedded PGlite in .sagaflow/db');
    expect(first.stdout).toContain('No order sagas from earlier runs.');
    expect(first.stdout).toMatch(/order-4-\w+\s+Failed\s+faulted\s+v6\s+\(no carrier\)/);
    expect(first.stdout).toMatch(/#6 sagaflow\.compensation\.step\s+Failed\s+-> Failed\s+\[refundPayment\]/);
    const firstRun = /This run \((\w+)\)/.exec(first.stdout)![1];

    const second = await demo();
    expect(second.stdout).toContain('Order sagas from earlier runs');
    expect(second.stdout).toMatch(/Completed\s+completed\s+1/);
    expect(second.stdout).toMatch(/Failed\s+faulted\s+2/);
    expect(second.stdout).toContain(`order-4-${firstRun}`);
    const secondRun = /This run \((\w+)\)/.exec(second.stdout)![1];
    expect(secondRun).not.toBe(firstRun);
  });
});
