/**
 * The ingress of `sagaflow serve --sagas`, as an operator runs it: a separate process on PostgreSQL. An
 * event a saga handles there leaves the messages it sends in the outbox for the workers' relays, and a
 * client that retries after the server was killed (SIGKILL, no shutdown) gets `duplicate` from the
 * restarted server: the inbox is in the store, not in the process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSagaflowClient } from '../../src/client/index.ts';
import { OrderCreated, PaymentProcessed } from '../../examples/order-saga.ts';
import { useTestDatabase } from '../helpers/postgres.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'operator-token-h19a-process';
const db = useTestDatabase();
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `sagaflow serve` on a free port; resolves with its URL once it listens. */
async function serve(): Promise<{ child: ChildProcess; url: string }> {
  const { SAGAFLOW_TOKEN: _ignored, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--port', '0', '--token', TOKEN, '--sagas', './examples/order-saga.ts'],
    { cwd: root, env: { ...env, DATABASE_URL: db.url } },
  );
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /open (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    if (url !== undefined) return { child, url };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sagaflow serve did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function kill(child: ChildProcess): Promise<void> {
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGKILL');
  await closed;
}

describe('the ingress of sagaflow serve --sagas', { timeout: 120_000 }, () => {
  it('hands what the saga sends to the outbox, and answers a retry after a crash with duplicate', async () => {
    const order = { orderId: 'p-1', customerId: 'c-1', total: 12, items: [{ sku: 'MUG', quantity: 1 }] };
    const first = await serve();
    const client = createSagaflowClient({ baseUrl: first.url, token: TOKEN });
    expect((await client.publish(OrderCreated, order, { messageId: 'p-1-created' })).outcome).toBe('handled');
    const payment = { orderId: 'p-1', transactionId: 'tx-p-1', amount: 12 };
    expect((await client.publish(PaymentProcessed, payment, { messageId: 'p-1-paid' })).sagas[0]?.state).toBe('AwaitingInventory');

    const repository = await db.repository({ cache: false });
    // The commands the saga sent (ProcessPayment, ReserveInventory) wait for the workers' relays.
    const staged = await repository.claimOutbox({ limit: 10, leaseMs: 1 });
    expect(staged.map((m) => m.envelope.type).sort()).toEqual(['ProcessPayment', 'ReserveInventory']);

    await kill(first.child);
    const second = await serve();
    const retrying = createSagaflowClient({ baseUrl: second.url, token: TOKEN });
    expect((await retrying.publish(OrderCreated, order, { messageId: 'p-1-created' })).outcome).toBe('duplicate');
    expect((await retrying.publish(PaymentProcessed, payment, { messageId: 'p-1-paid' })).outcome).toBe('duplicate');
    const instance = await retrying.find('order', 'p-1');
    expect(instance).toMatchObject({ state: 'AwaitingInventory', version: 2 });
    await kill(second.child);
  });
});
