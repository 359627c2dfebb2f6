/**
 * Command handlers through a store outage (in memory, failing as a crashed PostgreSQL does): the
 * outcome a handler returned is written once the store is back, with that result; a claim whose answer
 * was lost is recognised as this process's own; and a command is never taken over by its own process.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, SagaOrchestrator } from '../../src/index.ts';
import { outageRepository } from '../helpers/outage-repository.ts';

const Ship = defineCommand('Ship', z.object({ orderId: z.string() }), { output: z.object({ tracking: z.string() }) });

function setup(leaseMs = 60) {
  const { repository, control } = outageRepository();
  const orchestrator = new SagaOrchestrator({ sagas: [], repository, commands: { leaseMs }, onError: () => {} });
  const attempts: number[] = [];
  const outcomes: unknown[] = [];
  orchestrator.bus.subscribe(Ship.completed.name, (e) => void outcomes.push(e.payload));
  orchestrator.bus.subscribe(Ship.failed.name, (e) => void outcomes.push(e.payload));
  return { orchestrator, repository, control, attempts, outcomes };
}

describe('command handlers through a store outage', () => {
  it("writes the outcome the handler returned once the store is back, and its own process never takes it over", async () => {
    const { orchestrator, repository, control, attempts, outcomes } = setup();
    orchestrator.handle(Ship, async (input, ctx) => {
      attempts.push(ctx.attempt);
      // The server crashes while the handler runs: its lease renewals and its outcome cannot be written.
      control.down.add('renewCommand').add('finishCommand');
      return { tracking: `TRK-${input.orderId}` };
    });
    const running = orchestrator.publish(Ship, { orderId: 'o-1' }, { correlationId: 'o-1' });
    await new Promise((r) => setTimeout(r, 200));
    // The lease (60 ms) ran out during the outage; the process that owns the command is alive.
    expect(await orchestrator.commands!.recover()).toBe(0);
    expect(control.failed.finishCommand).toBeGreaterThan(0);
    control.down.clear();
    const result = await running;
    expect(result.command).toMatchObject({ result: 'completed', attempts: 1 });
    expect(attempts).toEqual([1]);
    const id = result.command!.commandId;
    expect(await repository.findCommand(id)).toMatchObject({ status: 'completed', attempts: 1, output: { tracking: 'TRK-o-1' } });
    await orchestrator.idle();
    expect(outcomes).toEqual([{ commandId: id, output: { tracking: 'TRK-o-1' } }]);
  });

  it('runs a command whose claim applied but whose answer was lost, as attempt 1', async () => {
    const { orchestrator, repository, control, attempts } = setup(5_000);
    orchestrator.handle(Ship, async (input, ctx) => {
      attempts.push(ctx.attempt);
      return { tracking: `TRK-${input.orderId}` };
    });
    control.applyThenFail.add('claimCommand');
    const result = await orchestrator.publish(Ship, { orderId: 'o-2' }, { correlationId: 'o-2' });
    expect(control.failed.claimCommand).toBe(1);
    expect(result.command).toMatchObject({ result: 'completed', attempts: 1 });
    expect(attempts).toEqual([1]);
    expect(await repository.findCommand(result.command!.commandId)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it("recognises its own claim after the outage even when its own recover() renewed the lease meanwhile", async () => {
    const { orchestrator, repository, control, attempts } = setup(30);
    orchestrator.handle(Ship, async (input, ctx) => {
      attempts.push(ctx.attempt);
      return { tracking: `TRK-${input.orderId}` };
    });
    control.applyThenFail.add('claimCommand');
    // The claim applied and its answer was lost; the server stays down for the retries.
    control.onFailure = (method) => void (method === 'claimCommand' && control.down.add('claimCommand'));
    const running = orchestrator.publish(Ship, { orderId: 'o-5' }, { correlationId: 'o-5' });
    await new Promise((r) => setTimeout(r, 80));
    expect(await orchestrator.commands!.recover()).toBe(0); // its lease ran out; this process still owns it
    control.onFailure = undefined;
    control.down.clear();
    const result = await running;
    expect(result.command).toMatchObject({ result: 'completed', attempts: 1 });
    expect(attempts).toEqual([1]);
    expect(await repository.findCommand(result.command!.commandId)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('answers busy to a redelivery of a command this process is running, without asking the store', async () => {
    const { orchestrator, control, attempts } = setup(5_000);
    let release!: () => void;
    orchestrator.handle(Ship, async (input, ctx) => {
      attempts.push(ctx.attempt);
      await new Promise<void>((r) => (release = r));
      return { tracking: `TRK-${input.orderId}` };
    });
    const first = orchestrator.publish(Ship, { orderId: 'o-3' }, { correlationId: 'o-3', messageId: '0190a6d2-7e1c-7b3e-9a4f-2f6c1d0e8b11' });
    await new Promise((r) => setTimeout(r, 20));
    control.down.add('*');
    const again = await orchestrator.publish(Ship, { orderId: 'o-3' }, { correlationId: 'o-3', messageId: '0190a6d2-7e1c-7b3e-9a4f-2f6c1d0e8b11' });
    expect(again.command).toMatchObject({ result: 'busy' });
    control.down.clear();
    release();
    expect((await first).command).toMatchObject({ result: 'completed', attempts: 1 });
    expect(attempts).toEqual([1]);
  });

  it('still reports a command abandoned when its process died and no retries are left', async () => {
    const { repository } = outageRepository();
    const dead = new SagaOrchestrator({ sagas: [], repository, commands: { leaseMs: 30 }, onError: () => {} });
    dead.handle(Ship, () => new Promise<never>(() => {})); // hangs: the process "dies" in it
    void dead.publish(Ship, { orderId: 'o-4' }, { correlationId: 'o-4' });
    await new Promise((r) => setTimeout(r, 10));
    // Its heartbeat stops with it (close() stands in for the process ending).
    await dead.close();
    const failed: unknown[] = [];
    const other = new SagaOrchestrator({ sagas: [], repository, commands: { leaseMs: 30 }, onError: () => {} });
    other.bus.subscribe(Ship.failed.name, (e) => void failed.push(e.payload));
    other.handle(Ship, async () => ({ tracking: 'never' }));
    await new Promise((r) => setTimeout(r, 80));
    expect(await other.commands!.recover()).toBe(1);
    await other.idle();
    expect(failed).toMatchObject([{ error: { code: 'SAGA_COMMAND_ABANDONED' }, attempts: 1 }]);
  });
});
