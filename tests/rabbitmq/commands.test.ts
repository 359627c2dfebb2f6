/**
 * Commands and requests over the real RabbitMQ: a saga service sends requests, a handler service (its own
 * queues, worker group `payments`) runs them, and the answers come back through the broker to the
 * requesting saga with the headers that address them (saga, request key) intact.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent, defineSaga, InMemorySagaRepository, SagaOrchestrator, createEnvelope } from '../../src/index.ts';
import { RabbitMqTransport } from '../../src/rabbitmq/index.ts';
import { AMQP_URL, deleteTopology, eventually, uniqueExchange } from './helpers.ts';
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';

holdBrokerForThisFile();

const exchange = uniqueExchange('commands');
const PARTITIONS = 2;
const closers: Array<() => Promise<void>> = [];

const Checkout = defineEvent('Checkout', z.object({ amount: z.number() }));
const Authorize = defineCommand('Authorize', z.object({ amount: z.number() }), {
  output: z.object({ code: z.string() }),
  target: 'payments',
});
const Payment = defineSaga('payment', {
  data: z.object({ code: z.string().optional(), error: z.string().optional() }),
  states: ['Authorizing', 'Authorized', 'Refused'],
})
  .initially((s) => s.when(Checkout).request(Authorize, (ctx) => ({ amount: ctx.event.amount }), { timeoutMs: 30_000 }).transitionTo('Authorizing'))
  .during('Authorizing', (s) =>
    s
      .when(Authorize.completed)
      .then((ctx) => void (ctx.data.code = ctx.event.output.code))
      .transitionTo('Authorized')
      .finalize()
      .when(Authorize.failed)
      .then((ctx) => void (ctx.data.error = ctx.event.error.message))
      .transitionTo('Refused')
      .finalize(),
  );

async function transport(service: string): Promise<RabbitMqTransport> {
  const t = new RabbitMqTransport({ url: AMQP_URL, exchange, service, partitions: PARTITIONS, onError: () => {} });
  closers.push(() => t.close());
  return t;
}

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await deleteTopology(exchange, ['sagas', 'payments'], PARTITIONS);
});

describe('commands over RabbitMQ', () => {
  it('runs requests in the handler service and brings each answer back to the saga that asked', async () => {
    const sagaBus = await transport('sagas');
    const sagas = new SagaOrchestrator({ sagas: [Payment], repository: new InMemorySagaRepository(), bus: sagaBus, onError: () => {} });
    closers.push(() => sagas.close());
    const handlerBus = await transport('payments');
    const handlerRepository = new InMemorySagaRepository();
    let calls = 0;
    const handlers = new SagaOrchestrator({ sagas: [], repository: handlerRepository, bus: handlerBus, commands: { group: 'payments' }, onError: () => {} })
      .handle(Authorize, (input) => {
        calls++;
        if (input.amount > 100) throw new Error('limit exceeded');
        return { code: `auth-${input.amount}` };
      });
    closers.push(() => handlers.close());
    await Promise.all([sagaBus.start(), handlerBus.start()]);

    const amounts = [10, 20, 30, 500];
    for (const amount of amounts) await sagaBus.publish(createEnvelope('event', 'Checkout', { amount }, { correlationId: `c-${amount}` }));
    await eventually('every payment to finish', async () => {
      for (const amount of amounts) if ((await sagas.find(Payment, `c-${amount}`))?.status !== 'completed') return false;
      return true;
    }, 20_000);
    for (const amount of [10, 20, 30]) expect((await sagas.find(Payment, `c-${amount}`))?.data.code).toBe(`auth-${amount}`);
    expect((await sagas.find(Payment, 'c-500'))?.data.error).toBe('limit exceeded');
    expect(calls).toBe(4);
    const recorded = await handlerRepository.listCommands({ commandType: 'Authorize' });
    expect(recorded.items.map((c) => [c.correlationId, c.status, c.target]).sort()).toEqual([
      ['c-10', 'completed', 'payments'],
      ['c-20', 'completed', 'payments'],
      ['c-30', 'completed', 'payments'],
      ['c-500', 'failed', 'payments'],
    ]);
  });
});
