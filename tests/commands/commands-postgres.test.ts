/**
 * Commands on real PostgreSQL: a worker process SIGKILLed inside its handler leaves the command to be
 * taken over once its lease ran out (and run exactly once more, as attempt 2); a finished command is
 * never run again, by a redelivery or by a restarted process; and concurrent deliveries to two
 * processes run it once.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createEnvelope, SagaOrchestrator } from '../../src/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';
import { ChargeCard } from './fixtures/charge-card.ts';

const db = useTestDatabase();

async function worker(calls: number[] = [], delivered: string[] = []) {
  const repository = await db.repository({ poolSize: 4 });
  const orchestrator = new SagaOrchestrator({ sagas: [], repository, commands: { leaseMs: 300 }, onError: () => {} });
  orchestrator.handle(ChargeCard, async (_input, ctx) => {
    calls.push(ctx.attempt);
    await new Promise((r) => setTimeout(r, 20));
    return { transactionId: `tx-${ctx.commandId}`, attempt: ctx.attempt };
  });
  orchestrator.bus.subscribe(ChargeCard.completed.name, (e) => void delivered.push(e.correlationId!));
  return { repository, orchestrator, calls, delivered };
}

describe('commands on PostgreSQL', () => {
  it('takes over a command whose worker was killed mid-handler, once, at its next attempt', async () => {
    const command = createEnvelope('command', 'ChargeCard', { amount: 9 }, { correlationId: 'order-kill' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/commands/fixtures/dying-worker.ts'], {
      env: { ...process.env, DATABASE_URL: db.url, COMMAND: JSON.stringify(command), LEASE_MS: '400' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
    for (const deadline = Date.now() + 30_000; !out.includes('started 1'); ) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`worker did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await once(child, 'exit');

    const calls: number[] = [];
    const { repository, orchestrator } = await worker(calls);
    expect((await repository.findCommand(command.messageId))).toMatchObject({ status: 'running', attempts: 1 });
    // Redelivered while the dead worker's lease still runs: someone owns it, leave it.
    expect((await orchestrator.dispatch(command)).command?.result).toBe('busy');
    await new Promise((r) => setTimeout(r, 450));
    const other = await worker(calls);
    const [taken, second] = await Promise.all([orchestrator.recover(), other.orchestrator.recover()]);
    expect(taken + second).toBe(1);
    expect(calls).toEqual([2]);
    const finished = await repository.findCommand(command.messageId);
    expect(finished).toMatchObject({ status: 'completed', attempts: 2, output: { transactionId: `tx-${command.messageId}`, attempt: 2 } });
    // Finished: neither a redelivery nor a restarted process runs it again.
    const restarted = await worker();
    expect((await restarted.orchestrator.dispatch(command)).command?.result).toBe('duplicate');
    expect(await restarted.orchestrator.recover()).toBe(0);
    expect(restarted.calls).toEqual([]);
  });

  it('runs a command delivered to two processes at once exactly once, and stages one outcome', async () => {
    const shared: number[] = [];
    const delivered: string[] = [];
    const [a, b] = await Promise.all([worker(shared, delivered), worker(shared, delivered)]);
    const outboxBefore = await a.repository.outboxSize();
    const commands = Array.from({ length: 20 }, (_, k) => createEnvelope('command', 'ChargeCard', { amount: k }, { correlationId: `race-${k}` }));
    const results = await Promise.all(commands.flatMap((c) => [a.orchestrator.dispatch(c), b.orchestrator.dispatch(c)]));
    const byResult = results.map((r) => r.command?.result);
    expect(byResult.filter((r) => r === 'completed')).toHaveLength(20);
    expect(byResult.filter((r) => r === 'busy' || r === 'duplicate')).toHaveLength(20);
    expect(shared).toHaveLength(20);
    const page = await a.repository.listCommands({ commandType: 'ChargeCard', status: 'completed', limit: 1000 });
    expect(page.items.filter((c) => c.correlationId?.startsWith('race-'))).toHaveLength(20);
    await Promise.all([a.orchestrator.idle(), b.orchestrator.idle()]);
    // One outcome event per command, staged with its record, delivered and marked sent.
    expect(delivered.sort()).toEqual(commands.map((c) => c.correlationId!).sort());
    expect(await a.repository.outboxSize()).toBe(outboxBefore);
  });
});
