/**
 * `sagaflow send | transition | cancel | retry-compensation | bulk | audit`, run in process through
 * `runCli` (argument parsing, exit codes and output as a user sees them) on a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { capturingIo } from '../../src/cli/io.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { bank, seed, type Seeded } from '../ops/fixtures.ts';

let db: TestDatabase;
let repository: PrismaSagaRepository;
let seeded: Seeded;
const SAGAS = ['--sagas', 'tests/ops/fixtures.ts'];

beforeAll(async () => {
  db = await createTestDatabase();
  repository = await createPrismaRepository({ databaseUrl: db.url, cache: false });
  seeded = await seed(repository);
});

afterAll(async () => {
  await repository.close();
  await db.drop();
});

async function sagaflow(...args: string[]) {
  const io = capturingIo({ DATABASE_URL: db.url, USER: 'ana' });
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('sagaflow repairs', () => {
  it('transition, send and cancel by correlation id, each recorded as cli:<user> with its reason; audit lists them', async () => {
    const moved = await sagaflow(...SAGAS, 'transition', seeded.waiting, 'AwaitingInventory', '--saga', 'order', '--patch', '{"paymentTransactionId":"tx-phone"}', '--reason', 'paid by phone');
    expect(moved).toMatchObject({ code: 0, stderr: '' });
    expect(moved.stdout).toMatch(/from AwaitingPayment to AwaitingInventory/);

    const sent = await sagaflow(...SAGAS, 'send', seeded.waiting, 'InventoryReserved', '--saga', 'order', '--payload', JSON.stringify({ orderId: seeded.waiting, reservationId: 'r-1' }), '--reason', 'warehouse confirmed', '--as', 'ops:bo');
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    expect(sent.stdout).toMatch(/now AwaitingShipment \(active\)/);

    const cancelled = await sagaflow(...SAGAS, 'cancel', seeded.waiting, '--saga', 'order', '--reason', 'customer withdrew', '--json');
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ steps: 1, instance: { status: 'faulted' }, audit: { principal: 'cli:ana' } });

    const audit = await sagaflow('audit', '--json');
    const items = JSON.parse(audit.stdout).items as Array<{ action: string; principal: string; reason: string }>;
    expect(items.map((e) => [e.action, e.principal, e.reason])).toEqual([
      ['cancel', 'cli:ana', 'customer withdrew'],
      ['send', 'ops:bo', 'warehouse confirmed'],
      ['transition', 'cli:ana', 'paid by phone'],
    ]);
    const table = await sagaflow('audit', '--saga', 'order');
    expect(table.stdout).toMatch(/cli:ana\s+cancel\s+order\s+\S+\s+AwaitingShipment\/active → AwaitingShipment\/compensating\s+customer withdrew/);
  });

  it('refuses without a reason (usage, exit 2), an undeclared state and a bad payload (exit 1, typed codes)', async () => {
    const noReason = await sagaflow(...SAGAS, 'cancel', seeded.late, '--saga', 'order');
    expect(noReason.code).toBe(2);
    const undeclared = await sagaflow(...SAGAS, 'transition', seeded.late, 'Shipped', '--saga', 'order', '--reason', 'x');
    expect(undeclared).toMatchObject({ code: 1 });
    expect(undeclared.stderr).toContain('SAGA_UNDECLARED_STATE');
    const badPayload = await sagaflow(...SAGAS, 'send', seeded.late, 'PaymentProcessed', '--saga', 'order', '--payload', '{"orderId":1}', '--reason', 'x');
    expect(badPayload.stderr).toContain('SAGA_PAYLOAD_INVALID');
    const stale = await sagaflow(...SAGAS, 'cancel', seeded.late, '--saga', 'order', '--expect-version', '99', '--reason', 'x');
    expect(stale.stderr).toContain('SAGA_CONCURRENCY_CONFLICT');
  });

  it('bulk: a dry run prints the count and how to confirm it; --yes with another count is refused; the right count acts', async () => {
    const dry = await sagaflow(...SAGAS, 'bulk', 'retry-compensation', '--saga', 'transfer', '--reason', 'bank back');
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout).toMatch(/^dry run: 1 matches/);
    expect(dry.stdout).toContain('run again with --yes 1');
    const wrong = await sagaflow(...SAGAS, 'bulk', 'retry-compensation', '--saga', 'transfer', '--reason', 'bank back', '--yes', '2');
    expect(wrong.stderr).toContain('SAGA_BULK_COUNT_MISMATCH');
    bank.offline = false;
    try {
      const done = await sagaflow(...SAGAS, 'bulk', 'retry-compensation', '--saga', 'transfer', '--reason', 'bank back', '--yes', '1');
      expect(done).toMatchObject({ code: 0 });
      expect(done.stdout).toContain('1 of 1 done, 0 failed');
    } finally {
      bank.offline = true;
    }
    expect((await repository.findByCorrelation('transfer', seeded.transfer, { fresh: true }))?.status).toBe('faulted');
  });
});
