/**
 * `sagaflow export` and `sagaflow replay` as child processes, on histories that real runs of the order
 * saga wrote to PostgreSQL: the export is replayed through the unchanged definition (exit 0) and through
 * changed ones (exit 1, with the divergence at the event where it happens).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOrderDemo } from '../../examples/order-saga.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { parseHistoryLines } from '../../src/testing/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
let db: TestDatabase;
let repository: PrismaSagaRepository;
let dir: string;
let exported: string;

beforeAll(async () => {
  db = await createTestDatabase();
  repository = await createPrismaRepository({ databaseUrl: db.url });
  // Two real runs of the demo: eight orders, each in one of the four outcomes.
  await runOrderDemo({ repository, runId: 'a' });
  await runOrderDemo({ repository, runId: 'b' });
  dir = await mkdtemp(join(tmpdir(), 'sagaflow-replay-'));
  exported = join(dir, 'orders.jsonl');
}, 180_000);

afterAll(async () => {
  await repository?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function sagaflow(args: readonly string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: db.url },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface JsonReport {
  ok: boolean;
  diverged: number;
  instances: Array<{ correlationId: string; divergence: { kind: string; index: number; sequence: number; type: string; message: string } | null }>;
}

/** correlation id → "kind@index type", or "ok". */
function verdicts(report: JsonReport): Record<string, string> {
  return Object.fromEntries(
    report.instances.map((i) => [i.correlationId, i.divergence ? `${i.divergence.kind}@${i.divergence.index} ${i.divergence.type}` : 'ok']),
  );
}

describe('sagaflow export and replay, as child processes on PostgreSQL', { timeout: 240_000 }, () => {
  it('exports instances with their histories as JSON lines, filtered and limited', async () => {
    const [toFile, failed, one] = await Promise.all([
      sagaflow(['export', '--saga', 'order', '--out', exported]),
      sagaflow(['export', '--saga', 'order', '--state', 'Failed']),
      sagaflow(['export', '--saga', 'order', '--limit', '1']),
    ]);
    expect(toFile).toMatchObject({ code: 0, stdout: '', stderr: `exported 8 instances of saga 'order' to ${exported}\n` });
    const lines = parseHistoryLines(await readFile(exported, 'utf8'));
    expect(lines).toHaveLength(8);
    const four = lines.find((l) => l.correlationId === 'order-4-a')!;
    expect(four).toMatchObject({ format: 1, saga: 'order', state: 'Failed', status: 'faulted', version: 6, compensation: [] });
    expect(four.history.map((r) => [r.sequence, r.type, r.stateAfter])).toEqual([
      [1, 'OrderCreated', 'AwaitingPayment'],
      [2, 'PaymentProcessed', 'AwaitingInventory'],
      [3, 'InventoryReserved', 'AwaitingShipment'],
      [4, 'ShippingFailed', 'Failed'],
      [5, 'sagaflow.compensation.step', 'Failed'],
      [6, 'sagaflow.compensation.step', 'Failed'],
    ]);
    expect(four.history[0]).toMatchObject({ payload: { orderId: 'order-4-a', customerId: 'far-away' }, sent: [{ kind: 'send', type: 'ProcessPayment' }] });
    expect(four.history[5]!.payload).toEqual({ step: 'refundPayment', args: { transactionId: 'tx-order-4-a', amount: 10 } });

    expect(failed.code).toBe(0);
    expect(parseHistoryLines(failed.stdout).map((l) => l.state)).toEqual(['Failed', 'Failed', 'Failed', 'Failed', 'Failed', 'Failed']);
    expect(parseHistoryLines(one.stdout)).toHaveLength(1);
  });

  it('replays the export through the unchanged definition: exit code 0', async () => {
    const replay = await sagaflow(['replay', '--sagas', 'examples/order-saga.ts', '--from', exported]);
    expect(replay).toMatchObject({ code: 0, stderr: '' });
    expect(replay.stdout).toMatch(/order\s+order-4-a\s+6\/6\s+ok/);
    expect(replay.stdout).toContain('all 8 instances replay as recorded');
  });

  it('finds a changed transition, an event no longer handled and a changed compensation: exit code 1', async () => {
    const [table, unhandled, compensation] = await Promise.all([
      sagaflow(['replay', '--sagas', 'tests/replay/sagas-skip-inventory.ts', '--from', exported]),
      sagaflow(['replay', '--sagas', 'tests/replay/sagas-drop-shipping-failed.ts', '--from', exported, '--json']),
      sagaflow(['replay', '--sagas', 'tests/replay/sagas-void-payment.ts', '--from', exported, '--json']),
    ]);
    for (const run of [table, unhandled, compensation]) expect(run).toMatchObject({ code: 1, stderr: '' });

    for (const run of ['a', 'b']) {
      // Orders of less than 50 (order-3, order-4) now skip the inventory after their payment: event 1, version 2.
      expect(table.stdout).toMatch(new RegExp(`order\\s+order-1-${run}\\s+4/4\\s+ok`));
      expect(table.stdout).toMatch(new RegExp(`order\\s+order-2-${run}\\s+2/2\\s+ok`));
      expect(table.stdout).toMatch(new RegExp(`order\\s+order-3-${run}\\s+1/4\\s+state at row 1 \\(#2\\) PaymentProcessed`));
    }
    expect(table.stdout).toMatch(/order\s+order-4-a\s+1\/6\s+state at row 1 \(#2\) PaymentProcessed/);
    expect(table.stdout).toContain(
      "order order-4-a: after 'PaymentProcessed' the instance went to 'AwaitingInventory'; the new definition goes to 'AwaitingShipment'",
    );
    expect(table.stdout).toContain('4 of 8 instances diverge');

    expect(verdicts(JSON.parse(unhandled.stdout) as JsonReport)).toMatchObject({
      'order-1-a': 'ok',
      'order-4-a': 'unhandled@3 ShippingFailed',
      'order-4-b': 'unhandled@3 ShippingFailed',
    });

    expect(verdicts(JSON.parse(compensation.stdout) as JsonReport)).toMatchObject({
      'order-1-a': 'compensation@1 PaymentProcessed',
      'order-2-a': 'ok',
      'order-3-a': 'compensation@3 sagaflow.compensation.step',
      'order-4-a': 'compensation@5 sagaflow.compensation.step',
    });
  });

  it('refuses a file that is not an export, naming the line', async () => {
    const broken = join(dir, 'broken.jsonl');
    const [first] = (await readFile(exported, 'utf8')).split('\n');
    await writeFile(broken, `${first}\n{"format":1,"saga":"order"}\n`);
    const [replay, usage] = await Promise.all([
      sagaflow(['replay', '--sagas', 'examples/order-saga.ts', '--from', broken]),
      sagaflow(['replay', '--from', broken]),
    ]);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/^error \[SAGA_HISTORY_FORMAT\]: line 2 is not an exported history line: instanceId/);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--sagas <module>');
  });
});
