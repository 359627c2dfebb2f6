/**
 * Found by the fault-injection suite: recover() in a process starting up took over compensation steps
 * another live process was running. Runs now hold a lease (`compensationLeaseMs`, renewed by every
 * step's write).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCompensation, defineEvent, defineSaga, InMemorySagaRepository, SagaOrchestrator } from '../../src/index.ts';

const Placed = defineEvent('Placed', z.object({}));
const Failed = defineEvent('Failed', z.object({}));
const Refund = defineCompensation('refund', z.object({}));

describe('the compensation lease', () => {
  it("recover() in a process starting up does not take over a compensation step another live process is running", async () => {
    let runs = 0;
    let release!: () => void;
    const remoteCall = new Promise<void>((resolve) => (release = resolve));
    const Saga = defineSaga('order', { data: z.object({}), states: ['Open', 'Cancelled'] })
      .initially((s) => s.when(Placed).then((ctx) => ctx.compensation.add(Refund, {})).transitionTo('Open'))
      .during('Open', (s) => s.when(Failed).compensate().transitionTo('Cancelled').finalize())
      .compensation(Refund, async () => {
        runs++;
        await remoteCall; // a refund through a payment provider takes a while
      });
    const repository = new InMemorySagaRepository();
    const running = new SagaOrchestrator({ sagas: [Saga], repository });
    const starting = new SagaOrchestrator({ sagas: [Saga], repository }); // another process: start() runs recover()
    await running.publish(Placed, {}, { correlationId: 'o-1' });
    const failing = running.publish(Failed, {}, { correlationId: 'o-1' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The run was claimed 20 ms ago: well within the lease, so it is left to its runner.
    const resumed = starting.recover();
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await failing;
    expect(await resumed).toBe(0);
    expect(runs).toBe(1);
  });
});
