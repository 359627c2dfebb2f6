import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  InMemorySagaRepository,
  InProcessBus,
  SagaOrchestrator,
  TARGET_HEADER,
  createEnvelope,
  defineCommand,
  defineEvent,
  defineSaga,
  followUp,
  type Envelope,
} from '../../src/index.ts';

const OrderPlaced = defineEvent('OrderPlaced', z.object({ amount: z.number() }));
const ChargeCard = defineCommand('ChargeCard', z.object({ amount: z.number().positive() }), {
  output: z.object({ transactionId: z.string() }),
});

/** Waits for the charge's outcome and records it in the data. */
const Checkout = defineSaga('checkout', {
  data: z.object({ transactionId: z.string().optional(), failure: z.string().optional(), attempts: z.number().optional() }),
  states: ['Charging', 'Paid', 'Failed', 'TimedOut', 'Cancelled'],
})
  .initially((s) => s.when(OrderPlaced).send(ChargeCard, (ctx) => ({ amount: ctx.event.amount })).transitionTo('Charging'))
  .during('Charging', (s) =>
    s
      .when(ChargeCard.completed)
      .then((ctx) => void (ctx.data.transactionId = ctx.event.output.transactionId))
      .transitionTo('Paid')
      .when(ChargeCard.failed)
      .then((ctx) => {
        ctx.data.failure = ctx.event.error.code;
        ctx.data.attempts = ctx.event.attempts;
      })
      .transitionTo('Failed')
      .when(ChargeCard.timedOut)
      .then((ctx) => void (ctx.data.attempts = ctx.event.attempts))
      .transitionTo('TimedOut')
      .when(ChargeCard.cancelled)
      .then((ctx) => void (ctx.data.failure = ctx.event.reason))
      .transitionTo('Cancelled'),
  );

function setup() {
  const repository = new InMemorySagaRepository();
  const orchestrator = new SagaOrchestrator({ sagas: [Checkout], repository });
  const place = async (id: string, amount: number) => {
    await orchestrator.publish(OrderPlaced, { amount }, { correlationId: id });
    await orchestrator.idle();
    return orchestrator.find(Checkout, id);
  };
  return { repository, orchestrator, place };
}

describe('commands with handlers', () => {
  it('runs the handler and brings its typed output back to the saga as the completed event', async () => {
    const { orchestrator, place, repository } = setup();
    const seen: Array<{ amount: number; correlationId: string | undefined; attempt: number }> = [];
    orchestrator.handle(ChargeCard, (input, ctx) => {
      seen.push({ amount: input.amount, correlationId: ctx.correlationId, attempt: ctx.attempt });
      return { transactionId: `tx-${ctx.commandId.slice(-4)}` };
    });
    const order = await place('o-1', 42);
    expect(order).toMatchObject({ state: 'Paid', data: { transactionId: expect.stringMatching(/^tx-/) } });
    expect(seen).toEqual([{ amount: 42, correlationId: 'o-1', attempt: 1 }]);
    const [command] = (await repository.listCommands({ correlationId: 'o-1' })).items;
    expect(command).toMatchObject({ commandType: 'ChargeCard', status: 'completed', attempts: 1, output: { transactionId: order!.data.transactionId } });
    const history = await repository.history(order!.id);
    expect(history.map((h) => h.eventType)).toEqual(['OrderPlaced', 'ChargeCard.Completed']);
    expect(history[0]!.sent?.[0]).toMatchObject({ type: 'ChargeCard', kind: 'send', messageId: command!.id });
  });

  it('retries a failing handler with backoff, then reports the last error with the attempts', async () => {
    const { orchestrator, place, repository } = setup();
    const attempts: number[] = [];
    orchestrator.handle(
      ChargeCard,
      (_input, ctx) => {
        attempts.push(ctx.attempt);
        throw Object.assign(new Error('card declined'), { code: 'DECLINED' });
      },
      { retry: { maxRetries: 2, initialDelayMs: 5, jitterFactor: 0 } },
    );
    const order = await place('o-2', 10);
    expect(attempts).toEqual([1, 2, 3]);
    expect(order).toMatchObject({ state: 'Failed', data: { failure: 'DECLINED', attempts: 3 } });
    const [command] = (await repository.listCommands({ correlationId: 'o-2' })).items;
    expect(command).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'DECLINED', message: 'card declined' } });
  });

  it('succeeds on a retry when the handler recovers', async () => {
    const { orchestrator, place } = setup();
    let calls = 0;
    orchestrator.handle(ChargeCard, () => (++calls < 2 ? Promise.reject(new Error('flaky')) : { transactionId: 'tx-ok' }), { retry: { maxRetries: 3, initialDelayMs: 1 } });
    expect(await place('o-3', 10)).toMatchObject({ state: 'Paid', data: { transactionId: 'tx-ok' } });
    expect(calls).toBe(2);
  });

  it('aborts an attempt that outlives the timeout and reports timedOut after the last one', async () => {
    const { orchestrator, place } = setup();
    const aborted: unknown[] = [];
    orchestrator.handle(
      ChargeCard,
      (_input, ctx) =>
        new Promise<never>(() => {
          ctx.signal.addEventListener('abort', () => aborted.push((ctx.signal.reason as Error).name));
        }),
      { timeoutMs: 20, retry: { maxRetries: 1, initialDelayMs: 1 } },
    );
    expect(await place('o-4', 10)).toMatchObject({ state: 'TimedOut', data: { attempts: 2 } });
    expect(aborted).toEqual(['CommandTimeoutError', 'CommandTimeoutError']);
  });

  it('reports cancelled without retrying when the handler gives up on purpose, or is cancelled from outside', async () => {
    const { orchestrator, place } = setup();
    let calls = 0;
    orchestrator.handle(
      ChargeCard,
      (input, ctx) => {
        calls++;
        if (input.amount > 100) ctx.cancel('amount over the limit');
        return new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      },
      { retry: 5 },
    );
    expect(await place('o-5', 500)).toMatchObject({ state: 'Cancelled', data: { failure: 'amount over the limit' } });
    expect(calls).toBe(1);

    const running = orchestrator.dispatch(createEnvelope('command', 'ChargeCard', { amount: 5 }, { correlationId: 'o-5b' }));
    await vi.waitFor(() => expect(calls).toBe(2));
    const [command] = (await orchestrator.repository.listCommands({ correlationId: 'o-5b' })).items;
    expect(orchestrator.commands!.cancel(command!.id, 'customer withdrew')).toBe(true);
    expect((await running).command).toEqual({ result: 'cancelled', commandId: command!.id, attempts: 1 });
    expect(orchestrator.commands!.cancel(command!.id)).toBe(false);
    expect(calls).toBe(2);
  });

  it('runs a command once however often it is delivered, concurrently or later', async () => {
    const { orchestrator, repository } = setup();
    let calls = 0;
    orchestrator.handle(ChargeCard, async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      return { transactionId: 'tx-once' };
    });
    const command = createEnvelope('command', 'ChargeCard', { amount: 3 }, { correlationId: 'nobody' });
    const results = await Promise.all([1, 2, 3, 4].map(() => orchestrator.dispatch(command)));
    const later = await orchestrator.dispatch(command);
    expect(calls).toBe(1);
    expect(results.map((r) => r.command?.result).sort()).toEqual(['busy', 'busy', 'busy', 'completed']);
    expect(later.command).toEqual({ result: 'duplicate', commandId: command.messageId });
    expect((await repository.findCommand(command.messageId))?.status).toBe('completed');
  });

  it('fails a command whose input or output breaks its schema, without retrying', async () => {
    const { orchestrator, place, repository } = setup();
    let calls = 0;
    orchestrator.handle(ChargeCard, () => (calls++, { transactionId: 42 as unknown as string }), { retry: 3 });
    expect(await place('o-6', 10)).toMatchObject({ state: 'Failed', data: { failure: 'SAGA_PAYLOAD_INVALID', attempts: 1 } });
    const bad = createEnvelope('command', 'ChargeCard', { amount: -1 }, { correlationId: 'o-x' });
    expect((await orchestrator.dispatch(bad)).command).toMatchObject({ result: 'failed', attempts: 1 });
    expect((await repository.findCommand(bad.messageId))?.error?.code).toBe('SAGA_PAYLOAD_INVALID');
    expect(calls).toBe(1); // no retry of a broken result, and the invalid input never reached the handler
  });

  it('routes a targeted command to its worker group only', async () => {
    const bus = new InProcessBus();
    const Geo = defineCommand('GeoCharge', z.object({ n: z.number() }), { target: 'eu' });
    const ran: string[] = [];
    const eu = new SagaOrchestrator({ sagas: [], bus, commands: { group: 'eu' } }).handle(Geo, () => void ran.push('eu'));
    const us = new SagaOrchestrator({ sagas: [], bus, commands: { group: 'us' } }).handle(Geo, () => void ran.push('us'));
    const envelope = (headers?: Record<string, string>) => createEnvelope('command', 'GeoCharge', { n: 1 }, { headers });
    await bus.publish(envelope({ [TARGET_HEADER]: 'eu' }));
    await bus.publish(envelope({ [TARGET_HEADER]: 'us' }));
    expect(ran.sort()).toEqual(['eu', 'us']);
    expect((await us.dispatch(envelope({ [TARGET_HEADER]: 'eu' }))).command).toMatchObject({ result: 'not-for-this-group', target: 'eu' });
    // The definition's target travels with a command a saga sends.
    const Sender = defineSaga('sender', { data: z.object({}), states: ['Sent'] }).initially((s) =>
      s.when(OrderPlaced).send(Geo, { n: 2 }).transitionTo('Sent'),
    );
    const sent: Envelope[] = [];
    bus.subscribe('GeoCharge', (e) => void sent.push(e));
    const sender = new SagaOrchestrator({ sagas: [Sender], bus });
    await sender.publish(OrderPlaced, { amount: 1 }, { correlationId: 's-1' });
    await sender.idle();
    expect(sent.at(-1)!.headers[TARGET_HEADER]).toBe('eu');
    await Promise.all([eu.close(), us.close(), sender.close()]);
  });

  it('chains follow-up commands onto success and failure, sent with the recorded outcome', async () => {
    const bus = new InProcessBus();
    const repository = new InMemorySagaRepository();
    const Reserve = defineCommand('Reserve', z.object({ sku: z.string() }), { output: z.object({ reservation: z.string() }) });
    const Ship = defineCommand('Ship', z.object({ reservation: z.string() }));
    const Alert = defineCommand('Alert', z.object({ why: z.string() }));
    const log: string[] = [];
    const worker = new SagaOrchestrator({ sagas: [], bus, repository })
      .handle(Reserve, (input) => (input.sku === 'none' ? Promise.reject(new Error('out of stock')) : { reservation: `r-${input.sku}` }), {
        then: {
          completed: (output) => followUp(Ship, { reservation: output.reservation }),
          failed: (error, input) => [followUp(Alert, { why: `${input.sku}: ${error.message}` })],
        },
      })
      .handle(Ship, (input, ctx) => void log.push(`ship ${input.reservation} after ${ctx.envelope.headers.causationId ? 'a cause' : 'nothing'}`))
      .handle(Alert, (input) => void log.push(`alert ${input.why}`));
    await bus.publish(createEnvelope('command', 'Reserve', { sku: 'a1' }, { correlationId: 'c-1' }));
    await bus.publish(createEnvelope('command', 'Reserve', { sku: 'none' }, { correlationId: 'c-2' }));
    await worker.idle();
    expect(log.sort()).toEqual(['alert none: out of stock', 'ship r-a1 after a cause']);
    const shipped = (await repository.listCommands({ commandType: 'Ship' })).items;
    expect(shipped).toHaveLength(1);
    expect(shipped[0]!.correlationId).toBe('c-1');
    await worker.close();
  });

  it('runs the failed chain for a command that timed out, with SAGA_COMMAND_TIMEOUT', async () => {
    const bus = new InProcessBus();
    const Slow = defineCommand('Slow', z.object({}));
    const Alert = defineCommand('SlowAlert', z.object({ code: z.string() }));
    const alerts: string[] = [];
    const worker = new SagaOrchestrator({ sagas: [], bus })
      .handle(Slow, () => new Promise<never>(() => {}), { timeoutMs: 10, then: { failed: (error) => followUp(Alert, { code: error.code }) } })
      .handle(Alert, (input) => void alerts.push(input.code));
    expect((await worker.dispatch(createEnvelope('command', 'Slow', {}, { correlationId: 's-1' }))).command).toMatchObject({ result: 'timed_out' });
    await worker.idle();
    expect(alerts).toEqual(['SAGA_COMMAND_TIMEOUT']);
    await worker.close();
  });

  it('refuses a second handler for a command, a command a saga handles, and an invalid policy', () => {
    const { orchestrator } = setup();
    orchestrator.handle(ChargeCard, () => ({ transactionId: 't' }));
    expect(() => orchestrator.handle(ChargeCard, () => ({ transactionId: 't' }))).toThrow(/already has a handler/);
    expect(() => orchestrator.handle(OrderPlaced as unknown as typeof ChargeCard, () => ({ transactionId: 't' }))).toThrow(/handled by a saga/);
    const Other = defineCommand('Other', z.object({}));
    expect(() => orchestrator.handle(Other, () => undefined, { retry: -1 })).toThrow(RangeError);
    expect(() => defineCommand('Bad', z.object({}), { timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
