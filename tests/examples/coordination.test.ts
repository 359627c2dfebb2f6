import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const example = async (file: string) =>
  (await run(join(repo, 'node_modules/.bin/tsx'), [join(repo, 'examples', file)], { cwd: repo })).stdout;

describe('coordination examples', () => {
  it('examples/commands.ts: handlers retry, report outcomes to the saga, chain a targeted follow-up, and never run a command twice', { timeout: 60_000 }, async () => {
    const out = await example('commands.ts');
    expect(out).toContain('order-1: Paid {"transactionId":"tx-40"}');
    expect(out).toContain('  ChargeCard 13 attempt 2\n  receipt sent for tx-13');
    expect(out).toContain('order-3: Rejected {"error":"gateway unavailable after 3 attempts"}');
    expect(out.match(/receipt sent/g)).toHaveLength(2);
    expect(out).toContain('commands recorded: ChargeCard=completed/1 ChargeCard=completed/2 ChargeCard=failed/3 SendReceipt=completed/1 SendReceipt=completed/1');
    expect(out).toContain('redelivered ChargeCard: duplicate');
  });

  it('examples/request-response.ts: answers, failures and timeouts reach the saga, and a late answer is dropped', { timeout: 60_000 }, async () => {
    const out = await example('request-response.ts');
    expect(out).toContain('ada: Approved {"amount":1000,"score":720} | LoanRequested > GetCreditScore.Completed');
    expect(out).toContain('bob: Declined {"amount":1000,"score":480}');
    expect(out).toContain('eve: Manual {"amount":1000,"reason":"bureau failed: applicant unknown"} | LoanRequested > GetCreditScore.Failed');
    expect(out).toContain('kim: Manual {"amount":1000,"reason":"no score within 300 ms"} | LoanRequested > GetCreditScore.TimedOut');
    expect(out).toContain("kim's late answer: command completed, instance still Manual at version 2");
  });

  it('examples/dependency-graph.ts: steps run by dependency, retry on their own, and failures compensate in reverse', { timeout: 60_000 }, async () => {
    const out = await example('dependency-graph.ts');
    expect(out).toContain('order-1 journal: fulfil.Start > ReserveStock.Completed > ChargeCard.Completed > ShipOrder.Completed');
    expect(out).toContain('order-2 journal: fulfil.Start > ReserveStock.Completed > ChargeCard.Failed > fulfil.RetryStep > ChargeCard.Completed > ShipOrder.Completed');
    expect(out).toContain('order-3: Failed (faulted)');
    expect(out).toContain('failure=ship: courier refuses fragile parcels');
    expect(out).toContain('  refund tx-30\n  release res-fragile');
    expect(out).not.toContain('ship res-fragile');
  });
});
