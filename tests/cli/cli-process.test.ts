/**
 * The real `sagaflow` command as a child process (through tsx, as `npm run sagaflow` runs it), with
 * DATABASE_URL in its environment: what a user types, exit codes and all.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { seed, type Seeded } from '../ops/fixtures.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let db: TestDatabase;
let empty: TestDatabase;
let repository: PrismaSagaRepository;
let seeded: Seeded;

beforeAll(async () => {
  [db, empty] = await Promise.all([createTestDatabase(), createTestDatabase({ migrated: false })]);
  repository = await createPrismaRepository({ databaseUrl: db.url, cache: false });
  seeded = await seed(repository);
});

afterAll(async () => {
  await repository.close();
  await Promise.all([db.drop(), empty.drop()]);
});

function sagaflow(args: readonly string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: db.url, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('sagaflow, as a child process', { timeout: 60_000 }, () => {
  it('lists instances as a table and as JSON', async () => {
    const [table, json] = await Promise.all([sagaflow(['list', '--saga', 'order']), sagaflow(['list', '--status', 'compensation_failed', '--json'])]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout).toMatch(new RegExp(`order\\s+${seeded.waiting}\\s+AwaitingPayment\\s+active\\s+1\\s`));
    expect(table.stdout.trim().split('\n')).toHaveLength(7); // header and six orders
    expect(JSON.parse(json.stdout).items.map((i: { correlationId: string }) => i.correlationId)).toEqual([seeded.transfer]);
  });

  it('shows an instance, counts, and draws a diagram from the sagas module', async () => {
    const [show, stats, diagram] = await Promise.all([
      sagaflow(['show', seeded.transfer, '--saga', 'transfer', '--json']),
      sagaflow(['stats', '--saga', 'order']),
      sagaflow(['diagram', 'order', '--format', 'dot', '--highlight', 'AwaitingPayment', '--sagas', 'examples/order-saga.ts']),
    ]);
    expect(JSON.parse(show.stdout).instance).toMatchObject({ correlationId: seeded.transfer, status: 'compensation_failed' });
    expect(stats.stdout).toMatch(/order\s+AwaitingPayment\s+active\s+2/);
    expect(diagram).toMatchObject({ code: 0, stderr: '' });
    expect(diagram.stdout).toMatch(/^digraph "order" \{[\s\S]*"AwaitingPayment" \[style="rounded,filled"/);
  });

  it('replays a dead letter (queued for the relays without --sagas) and discards another, each with a reason', async () => {
    const unexplained = await sagaflow(['dead-letters', 'discard', seeded.unknownLetter]);
    expect(unexplained.code).toBe(2);
    expect(unexplained.stderr).toContain("required option '--reason <text>'");
    const replay = await sagaflow(['dead-letters', 'replay', seeded.lateLetter, '--reason', 'order exists now']);
    expect(replay).toMatchObject({ code: 0, stderr: '' });
    expect(replay.stdout).toMatch(/^queued PaymentProcessed \S+ in the outbox/);
    const discard = await sagaflow(['dead-letters', 'discard', seeded.unknownLetter, '--reason', 'nobody handles it']);
    expect(discard.stdout).toBe(`discarded ${seeded.unknownLetter}\n`);
    expect(await repository.listDeadLetters()).toMatchObject({ items: [] });
    const again = await sagaflow(['dead-letters', 'discard', seeded.unknownLetter, '--reason', 'twice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('SAGA_DEAD_LETTER_NOT_FOUND');
  });

  it('explains a wrong URL, missing tables and an unknown saga, with exit code 1', async () => {
    const [wrong, missing, unknown] = await Promise.all([
      sagaflow(['list'], { DATABASE_URL: 'postgresql://postgres:hunter2@127.0.0.1:1/none' }),
      sagaflow(['stats'], { DATABASE_URL: empty.url }),
      sagaflow(['diagram', 'invoice', '--sagas', 'examples/order-saga.ts']),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('error [SAGA_DATABASE_UNREACHABLE]: cannot connect to postgresql://postgres:***@127.0.0.1:1/none');
    expect(wrong.stderr).toContain('the server does not answer');
    expect(wrong.stderr).not.toContain('hunter2');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/error \[SAGA_SCHEMA_MISSING\]: .*run `npx sagaflow migrate`/);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("error [SAGA_UNKNOWN_SAGA]: no saga 'invoice' is registered here; registered: order");
  });

  it('exits 2 on a usage mistake', async () => {
    const result = await sagaflow(['list', '--stale', 'a while']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected a duration with a unit, such as 30s, 5m, 1h or 2d');
  });
});
