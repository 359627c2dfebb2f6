/**
 * Commands with handlers: a saga sends `ChargeCard`, a handler runs it (5 s per attempt, 2 retries with
 * backoff), and the outcome comes back to the saga as an event. A successful charge chains a follow-up
 * `SendReceipt` command in the same write that records the outcome; a worker group (`target`) picks
 * who runs `SendReceipt`. Every handled command is recorded, so a redelivered one never runs twice.
 *
 * Run it: `npx tsx examples/commands.ts` (the tests do, in tests/examples/coordination.test.ts).
 */
import { z } from 'zod';
import { defineCommand, defineEvent, defineSaga, followUp, InMemorySagaRepository, InProcessBus, SagaOrchestrator } from '../src/index.ts';

const OrderPlaced = defineEvent('OrderPlaced', z.object({ amount: z.number() }));
const ChargeCard = defineCommand('ChargeCard', z.object({ amount: z.number() }), {
  output: z.object({ transactionId: z.string() }),
  timeoutMs: 5_000,
  retry: { maxRetries: 2, initialDelayMs: 20 },
});
const SendReceipt = defineCommand('SendReceipt', z.object({ transactionId: z.string() }), { target: 'mailers' });

export const Checkout = defineSaga('checkout', {
  data: z.object({ transactionId: z.string().optional(), error: z.string().optional() }),
  states: ['Charging', 'Paid', 'Rejected'],
})
  .initially((s) => s.when(OrderPlaced).send(ChargeCard, (ctx) => ({ amount: ctx.event.amount })).transitionTo('Charging'))
  .during('Charging', (s) =>
    s
      .when(ChargeCard.completed)
      .then((ctx) => void (ctx.data.transactionId = ctx.event.output.transactionId))
      .transitionTo('Paid')
      .finalize()
      .when(ChargeCard.failed)
      .then((ctx) => void (ctx.data.error = `${ctx.event.error.message} after ${ctx.event.attempts} attempts`))
      .transitionTo('Rejected')
      .finalize(),
  );

const bus = new InProcessBus();
const repository = new InMemorySagaRepository();
const orchestrator = new SagaOrchestrator({ sagas: [Checkout], bus, repository }).handle(
  ChargeCard,
  (input, ctx) => {
    console.log(`  ChargeCard ${input.amount} attempt ${ctx.attempt}`);
    // A flaky gateway: 13 fails once, 99 always fails.
    if (input.amount === 99 || (input.amount === 13 && ctx.attempt === 1)) throw new Error('gateway unavailable');
    return { transactionId: `tx-${input.amount}` };
  },
  { then: { completed: (output) => followUp(SendReceipt, { transactionId: output.transactionId }) } },
);
// The mailers' worker group runs receipts; any other group would leave them alone.
const mailers = new SagaOrchestrator({ sagas: [], bus, repository, commands: { group: 'mailers' } }).handle(SendReceipt, (input) => {
  console.log(`  receipt sent for ${input.transactionId}`);
});

for (const [order, amount] of [['order-1', 40], ['order-2', 13], ['order-3', 99]] as const) {
  console.log(`${order}: placing ${amount}`);
  await orchestrator.publish(OrderPlaced, { amount }, { correlationId: order });
  await orchestrator.idle();
  await mailers.idle();
  const instance = await orchestrator.find(Checkout, order);
  console.log(`${order}: ${instance!.state} ${JSON.stringify(instance!.data)}`);
}

const commands = await repository.listCommands({ limit: 100 });
console.log(`commands recorded: ${commands.items.map((c) => `${c.commandType}=${c.status}/${c.attempts}`).sort().join(' ')}`);
// Redelivering a finished command runs nothing.
const first = commands.items.find((c) => c.commandType === 'ChargeCard')!;
const again = await orchestrator.dispatch(first.envelope);
console.log(`redelivered ${first.commandType}: ${again.command?.result}`);
await Promise.all([orchestrator.close(), mailers.close()]);
