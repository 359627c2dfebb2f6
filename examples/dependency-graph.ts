/**
 * A dependency graph: fulfilling an order reserves stock and charges the card at the same time, ships
 * once both are done (with both results), and undoes what finished if a step fails for good. It
 * compiles to an ordinary saga, so every step is journaled in the instance's history and survives a
 * restart like any saga.
 *
 * Run it: `npx tsx examples/dependency-graph.ts` (the tests do, in tests/examples/coordination.test.ts).
 */
import { z } from 'zod';
import { defineCommand, defineGraph, SagaOrchestrator } from '../src/index.ts';

const ReserveStock = defineCommand('ReserveStock', z.object({ sku: z.string() }), { output: z.object({ reservationId: z.string() }) });
const ReleaseStock = defineCommand('ReleaseStock', z.object({ reservationId: z.string() }));
const ChargeCard = defineCommand('ChargeCard', z.object({ amount: z.number() }), { output: z.object({ transactionId: z.string() }) });
const RefundCard = defineCommand('RefundCard', z.object({ transactionId: z.string() }));
const ShipOrder = defineCommand('ShipOrder', z.object({ reservationId: z.string(), transactionId: z.string() }), {
  output: z.object({ trackingId: z.string() }),
});

export const Fulfil = defineGraph('fulfil', { input: z.object({ sku: z.string(), amount: z.number() }) })
  .step('reserve', {
    command: ReserveStock,
    input: ({ input }) => ({ sku: input.sku }),
    compensate: { command: ReleaseStock, input: ({ output }) => ({ reservationId: output.reservationId }) },
  })
  .step('charge', {
    command: ChargeCard,
    retry: { maxRetries: 2, initialDelayMs: 10 },
    input: ({ input }) => ({ amount: input.amount }),
    compensate: { command: RefundCard, input: ({ output }) => ({ transactionId: output.transactionId }) },
  })
  .step('ship', {
    command: ShipOrder,
    dependsOn: ['reserve', 'charge'],
    input: ({ results }) => ({ reservationId: results.reserve.reservationId, transactionId: results.charge.transactionId }),
  });

const orchestrator = new SagaOrchestrator({ sagas: [Fulfil.saga] });
let flaky = 0;
orchestrator
  .handle(ReserveStock, (input) => (console.log(`  reserve ${input.sku}`), { reservationId: `res-${input.sku}` }))
  .handle(ReleaseStock, (input) => void console.log(`  release ${input.reservationId}`))
  .handle(ChargeCard, (input) => {
    // The card gateway fails once for the second order, then recovers (the step retries).
    if (input.amount === 20 && flaky++ === 0) throw new Error('gateway timeout');
    console.log(`  charge ${input.amount}`);
    return { transactionId: `tx-${input.amount}` };
  })
  .handle(RefundCard, (input) => void console.log(`  refund ${input.transactionId}`))
  .handle(ShipOrder, (input) => {
    if (input.reservationId === 'res-fragile') throw new Error('courier refuses fragile parcels');
    console.log(`  ship ${input.reservationId} paid by ${input.transactionId}`);
    return { trackingId: `trk-${input.reservationId}` };
  });
await orchestrator.start();

for (const [order, sku, amount] of [['order-1', 'book', 10], ['order-2', 'lamp', 20], ['order-3', 'fragile', 30]] as const) {
  console.log(`${order}:`);
  await orchestrator.publish(Fulfil.start, { sku, amount }, { correlationId: order });
  for (let i = 0; i < 100 && !['Completed', 'Failed'].includes((await orchestrator.find(Fulfil.saga, order))!.state); i++) {
    await orchestrator.idle();
    await new Promise((resolve) => setTimeout(resolve, 10)); // a retry waits for its backoff
  }
  await orchestrator.idle(); // the compensating commands, if any
  const run = (await orchestrator.find(Fulfil.saga, order))!;
  const journal = (await orchestrator.repository.history(run.id)).map((e) => e.eventType).join(' > ');
  console.log(`${order}: ${run.state} (${run.status}) results=${JSON.stringify(run.data.results)}${run.data.failure ? ` failure=${run.data.failure.step}: ${run.data.failure.message}` : ''}`);
  console.log(`${order} journal: ${journal}`);
}
await orchestrator.close();
