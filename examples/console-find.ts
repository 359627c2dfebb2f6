/**
 * `npx tsx examples/console-find.ts`: the operator's finding tools on the order demo, in memory. Runs
 * the demo's four orders and one that waits for a payment, then searches by business data (with the total), lists what is stuck an hour
 * later, counts dead letters by reason, reports the last hour per saga, and purges finished orders a
 * month on. tests/examples/console-find.test.ts checks its output.
 */
import { createEnvelope, deadLetterCounts, findStuck, InMemorySagaRepository, purge, SagaOperations, SagaOrchestrator, searchInstances, throughput } from '../src/index.ts';
import { OrderCreated, OrderSaga, runOrderDemo } from './order-saga.ts';

const HOUR = 3_600_000;

async function main(): Promise<void> {
  const repository = new InMemorySagaRepository();
  await runOrderDemo({ repository, runId: 'x' });
  // One more order, with no payment service running: it waits for a payment that never comes.
  const alone = new SagaOrchestrator({ sagas: [OrderSaga], repository, onError: () => {} });
  await alone.publish(OrderCreated, { orderId: 'order-5-x', customerId: 'dave', total: 75, items: [{ sku: 'LAMP', quantity: 1 }] });
  await alone.receive(createEnvelope('event', 'Order.Misspelled', {}, { correlationId: 'order-6-x' }));
  await alone.close();
  const ops = new SagaOperations({ repository, sagas: [OrderSaga] });

  const big = await searchInstances(ops, { saga: 'order', where: ['data.total > 50'] });
  console.log(`orders over 50: ${big.total} (${big.items.map((i) => i.correlationId).sort().join(', ')})`);
  const bob = await searchInstances(ops, { where: ['data.customerId = bob'] });
  console.log(`bob's orders: ${bob.total}, in ${bob.items.map((i) => i.state).join(', ')}`);

  // An hour and a half on: the clock of these operations runs ahead.
  const later = new SagaOperations({ repository, sagas: [OrderSaga], clock: { now: () => Date.now() + 1.5 * HOUR } });
  const stuck = await findStuck(later, { olderThanMs: HOUR });
  console.log(`stuck: ${stuck.total} (${stuck.counts.map((c) => `${c.kind} ${c.count}`).join(', ')})`);

  const letters = await deadLetterCounts(ops);
  console.log(`dead letters: ${letters.total}`);
  const hour = await throughput(ops);
  for (const s of hour.sagas) console.log(`last hour, ${s.sagaName}: ${s.applied} events applied, ${s.compensated} compensated, ${s.failed} failed`);

  const dry = await purge({ repository, policy: { olderThanMs: 30 * 24 * HOUR }, dryRun: true, clock: { now: () => Date.now() + 31 * 24 * HOUR } });
  const done = await purge({ repository, policy: { olderThanMs: 30 * 24 * HOUR }, clock: { now: () => Date.now() + 31 * 24 * HOUR } });
  console.log(`a month on: ${dry.instances} finished orders to purge; purged ${done.instances}; ${await repository.countInstances()} left`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
