import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrationsDir } from '../../src/prisma/package-files.ts';
import { capturingIo } from '../../src/cli/io.ts';
import { runCli } from '../../src/cli/program.ts';
import { loadSagas } from '../../src/cli/load-sagas.ts';
import { parseDuration } from '../../src/ops/duration.ts';
import type { PrismaSagaRepository } from '../../src/prisma/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';
import { seed, type Seeded } from '../ops/fixtures.ts';

const db = useTestDatabase();
let repository: PrismaSagaRepository;
let seeded: Seeded;

beforeAll(async () => {
  repository = await db.repository({ cache: false });
  seeded = await seed(repository);
});

/** Runs the CLI in this process against the test database. */
async function cli(...args: string[]) {
  const io = capturingIo({ DATABASE_URL: db.url });
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('sagaflow commands, in process', () => {
  it('lists with filters: status list, stale duration, state, correlation id, limit and cursor', async () => {
    const active = await cli('list', '--status', 'active,compensation_failed', '--json');
    expect(active.code).toBe(0);
    const page = JSON.parse(active.stdout) as { items: Array<{ correlationId: string }>; nextCursor: string | null };
    expect(page.items.map((i) => i.correlationId).sort()).toEqual([seeded.late, seeded.transfer, seeded.waiting].sort());

    expect(JSON.parse((await cli('list', '--stale', '1h', '--json')).stdout).items).toEqual([]);
    expect((await cli('list', '--stale', '1h')).stdout).toBe('no instances match\n');
    const failed = await cli('list', '--saga', 'order', '--state', 'Failed', '--correlation-id', 'order-4-a');
    expect(failed.stdout.split('\n')[0]).toMatch(/^SAGA\s+CORRELATION ID\s+STATE\s+STATUS\s+VERSION\s+DEFINITION\s+UPDATED\s+ID$/);
    expect(failed.stdout).toMatch(/order\s+order-4-a\s+Failed\s+faulted\s+\d+\s+v1\s+\d+(ms|s) ago/);
    expect(JSON.parse((await cli('list', '--def-version', '2', '--json')).stdout).items).toEqual([]);
    expect(JSON.parse((await cli('list', '--def-version', '1', '--json')).stdout).items.length).toBeGreaterThan(0);

    const first = await cli('list', '--limit', '4');
    const cursor = /--cursor (\S+)/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    const second = JSON.parse((await cli('list', '--limit', '4', '--cursor', cursor!, '--json')).stdout);
    expect(second.items).toHaveLength(3);
    expect(second.nextCursor).toBeNull();
  });

  it('shows an instance by id, or by correlation id within a saga, with stack and history', async () => {
    const byKey = await cli('show', seeded.transfer, '--saga', 'transfer');
    expect(byKey.code).toBe(0);
    expect(byKey.stdout).toContain('status      compensation_failed');
    expect(byKey.stdout).toMatch(/error\s+SAGA_COMPENSATION_FAILED in step 'undebit': .*bank offline/);
    expect(byKey.stdout).toContain('compensation stack (top first)\n  1. undebit {"amount":30}  (attempts: 1)');
    expect(byKey.stdout).toMatch(/#1\s+\S+Z\s+TransferStarted\s+\(new\) -> Debited/);
    const id = /id\s+(\S+)/.exec(byKey.stdout)![1]!;
    const byId = JSON.parse((await cli('show', id, '--json')).stdout);
    expect(byId.instance).toMatchObject({ id, correlationId: seeded.transfer, data: { amount: 30 } });
    expect(byId.history.length).toBeGreaterThanOrEqual(2);
    const order = await cli('show', seeded.waiting);
    expect(order.stdout).toMatch(/#1 .*OrderCreated\s+\(new\) -> AwaitingPayment\s+send ProcessPayment/);
  });

  it('fails with exit code 1 and a message for an unknown instance', async () => {
    const result = await cli('show', 'nobody-here');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error \[SAGA_NOT_FOUND\]: no saga instance 'nobody-here'/);
  });

  it('counts per saga, state and status', async () => {
    const text = await cli('stats');
    expect(text.stdout).toMatch(/transfer\s+Cancelled\s+compensation_failed\s+1/);
    expect(text.stdout).toContain('order: 6 instances');
    const json = JSON.parse((await cli('stats', '--saga', 'transfer', '--json')).stdout);
    expect(json).toEqual({ counts: [{ sagaName: 'transfer', state: 'Cancelled', status: 'compensation_failed', count: 1 }] });
  });

  it('lists and shows dead letters', async () => {
    const list = await cli('dead-letters', 'list', '--reason', 'unknown-event');
    expect(list.stdout).toMatch(new RegExp(`${seeded.unknownLetter}\\s+unknown-event\\s+Nobody\\.Handles\\.This`));
    const shown = await cli('dead-letters', 'show', seeded.lateLetter);
    expect(shown.stdout).toContain('reason      rejected');
    expect(shown.stdout).toContain('"type": "PaymentProcessed"');
    const json = JSON.parse((await cli('dead-letters', 'list', '--saga', 'order', '--json')).stdout);
    expect(json.items.map((d: { id: string }) => d.id)).toEqual([seeded.lateLetter]);
  });

  it('refuses usage mistakes with exit code 2 and explains them', async () => {
    for (const args of [['list', '--stale', 'soon'], ['list', '--stale', '30'], ['list', '--status', 'sleeping'], ['list', '--limit', '0'], ['diagram', 'order', '--format', 'png'], ['frobnicate']]) {
      const result = await cli(...args);
      expect([args.join(' '), result.code]).toEqual([args.join(' '), 2]);
      expect(result.stderr).toMatch(/error: /);
    }
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('dead-letters');
    // Every command the --sagas help names exists.
    for (const command of ['send', 'transition', 'cancel', 'retry-compensation', 'audit']) expect(help.stdout).toMatch(new RegExp(`^\\s+${command} \\[options\\]`, 'm'));
    const version = await cli('--version');
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('prints the SQL of every migration for teams that apply it themselves, without a database', async () => {
    const io = capturingIo({});
    expect(await runCli(['migrate', '--print-sql'], io)).toBe(0);
    const names = [...io.stdout().matchAll(/^-- Migration: (\w+)$/gm)].map((m) => m[1]);
    expect(names).toEqual((await readdir(migrationsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort());
    expect(io.stdout()).toContain('CREATE TABLE "sagaflow_instances"');
  });

  it('never creates a database for a read: without DATABASE_URL and no embedded one, it says what to set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sagaflow-cli-'));
    try {
      for (const args of [['list'], ['stats'], ['dead-letters', 'list'], ['show', 'x']]) {
        const io = capturingIo({});
        expect(await runCli(['--pglite', join(dir, 'db'), ...args], io)).toBe(1);
        expect(io.stderr()).toMatch(/error \[SAGA_NO_DATABASE\]: no database to read: set DATABASE_URL/);
      }
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves the API and the dashboard until stopped', async () => {
    const io = capturingIo({ DATABASE_URL: db.url, SAGAFLOW_TOKEN: 'tok' });
    const stop = new AbortController();
    const running = runCli(['serve', '--port', '0', '--read-only'], io, { signal: stop.signal });
    const deadline = Date.now() + 20_000;
    let url: string | undefined;
    while (!(url = /open (http:\S+) \(/.exec(io.stdout())?.[1]) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(io.stdout()).toContain('token required, read-only');
    expect((await fetch(`${url}/api/meta`)).status).toBe(401);
    const meta = await (await fetch(`${url}/api/meta`, { headers: { Authorization: 'Bearer tok' } })).json();
    expect(meta).toEqual({ readOnly: true, version: '0.1.0', principal: { name: 'token', role: 'operator' } });
    expect((await fetch(`${url}/`)).status).toBe(200);
    stop.abort();
    expect(await running).toBe(0);
    expect(io.stdout()).toContain('stopped');
  });
});

describe('CLI helpers', () => {
  it('reads durations as operators type them', () => {
    expect([parseDuration('30s'), parseDuration('5m'), parseDuration('1h30m'), parseDuration('2d'), parseDuration('250ms'), parseDuration('1.5s')]).toEqual([
      30_000, 300_000, 5_400_000, 172_800_000, 250, 1500,
    ]);
    expect(parseDuration('soon')).toBeUndefined();
    // A bare number is refused: operators read it as seconds, code as milliseconds.
    expect(parseDuration('1500')).toBeUndefined();
    expect(parseDuration('5 m')).toBeUndefined();
  });

  it('collects every saga a module exports, and says so when there is none', async () => {
    const sagas = await loadSagas('tests/ops/fixtures.ts');
    expect(sagas.map((s) => s.name).sort()).toEqual(['order', 'transfer']);
    await expect(loadSagas('tests/helpers/records.ts')).rejects.toThrow(/exports no saga definitions/);
    await expect(loadSagas('./no/such/module.ts')).rejects.toThrow(/cannot load the sagas module/);
  });

  it('lists handled commands with filters, shows one, and says so for an unknown id', async () => {
    const all = JSON.parse((await cli('commands', 'list', '--type', 'Verify', '--json')).stdout) as { items: Array<{ id: string; status: string; attempts: number }> };
    expect(all.items.map((c) => [c.id, c.status, c.attempts]).sort()).toEqual(
      [[seeded.commands.completed, 'completed', 1], [seeded.commands.failed, 'failed', 2]].sort(),
    );
    const failed = await cli('commands', 'list', '--status', 'failed');
    expect(failed.code).toBe(0);
    expect(failed.stdout).toContain(seeded.commands.failed);
    expect(failed.stdout).toContain('BLOCKED: blocked card');
    expect(failed.stdout).not.toContain(seeded.commands.completed);
    const shown = await cli('commands', 'show', seeded.commands.completed);
    expect(shown.stdout).toContain('status      completed after 1 attempt');
    expect(shown.stdout).toContain('"checked": true');
    const unknown = await cli('commands', 'show', 'no-such-command');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no handled command 'no-such-command'");
    expect((await cli('commands', 'list', '--status', 'bogus')).code).toBe(2);
  });
});
