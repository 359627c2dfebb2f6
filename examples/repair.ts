/**
 * Repairing stuck orders by hand, as an operator would from `sagaflow` or the dashboard, in code:
 * `npx tsx examples/repair.ts`. Two orders wait for a payment that will never arrive as an event: one was
 * paid by phone (send the event the saga waits for), one was withdrawn (cancel it: compensate, end
 * faulted). Each repair says why and names the version the operator saw; the audit trail lists them.
 */
import { InMemorySagaRepository, operatorOrchestrator, SagaOperations, SagaOrchestrator, type SagaRepository } from '../src/index.ts';
import { OrderCreated, OrderSaga, PaymentProcessed } from './order-saga.ts';

export async function runRepairExample(options: { readonly repository?: SagaRepository; readonly log?: (line: string) => void } = {}) {
  const repository = options.repository ?? new InMemorySagaRepository();
  const log = options.log ?? console.log;
  // The workers, which created the orders and would handle their events.
  const workers = new SagaOrchestrator({ sagas: [OrderSaga], repository, onError: () => {} });
  for (const orderId of ['phone-1', 'withdrawn-1']) {
    await workers.publish(OrderCreated, { orderId, customerId: 'c', total: 20, items: [{ sku: 'MUG', quantity: 1 }] });
  }
  await workers.close();

  // The operator's tools: an orchestrator that runs saga code here and leaves messages to the workers' relays.
  const orchestrator = operatorOrchestrator({ sagas: [OrderSaga], repository, onError: () => {} });
  const ops = new SagaOperations({ repository, sagas: [OrderSaga], orchestrator });
  try {
    const phone = (await ops.findInstance('phone-1', 'order')).instance;
    const sent = await ops.repair.send(
      phone.id,
      { type: PaymentProcessed.name, payload: { orderId: 'phone-1', transactionId: 'tx-phone', amount: 20 }, expectedVersion: phone.version },
      { principal: 'ops:ana', reason: 'paid by phone, confirmed by the bank' },
    );
    log(`phone-1: ${phone.state} -> ${sent.instance?.state}`);

    const withdrawn = (await ops.findInstance('withdrawn-1', 'order')).instance;
    const cancelled = await ops.repair.cancel(withdrawn.id, { expectedVersion: withdrawn.version }, { principal: 'ops:ana', reason: 'customer withdrew' });
    log(`withdrawn-1: ${withdrawn.status} -> ${cancelled.instance?.status}`);

    const trail = await ops.repair.auditTrail({ saga: 'order' });
    for (const e of trail.items) log(`audit: ${e.principal} ${e.action} ${e.correlationId} "${e.reason}" (${e.before?.state} -> ${e.after?.state})`);
    return { repository, trail: trail.items };
  } finally {
    await orchestrator.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runRepairExample();
