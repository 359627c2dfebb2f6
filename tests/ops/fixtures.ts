/**
 * @module tests/ops/fixtures
 *
 * A store with something of everything an operator meets, made by real orchestrators on real
 * PostgreSQL: the order demo's completed, failed and compensated orders, an order waiting for payment,
 * a transfer whose compensation step failed (`compensation_failed`), and dead letters (an unknown event,
 * and a payment that arrived before its order). Also a module of sagas for `--sagas`.
 */
import { z } from 'zod';
import { createEnvelope, defineCommand, defineCompensation, defineEvent, defineSaga, SagaOrchestrator, type SagaRepository } from '../../src/index.ts';
import { OrderCreated, OrderSaga, PaymentProcessed, runOrderDemo } from '../../examples/order-saga.ts';

export { OrderSaga } from '../../examples/order-saga.ts';

export const Verify = defineCommand('Verify', z.object({ ok: z.boolean() }), { output: z.object({ checked: z.boolean() }) });

export const TransferStarted = defineEvent('TransferStarted', z.object({ transferId: z.string(), amount: z.number() }));
export const TransferRejected = defineEvent('TransferRejected', z.object({ transferId: z.string() }));
const Undebit = defineCompensation('undebit', z.object({ amount: z.number() }));

/** Flip to let the `undebit` compensation succeed (it fails while the bank is offline). */
export const bank = { offline: true };

export const TransferSaga = defineSaga('transfer', {
  data: z.object({ amount: z.number().default(0) }),
  states: ['Debited', 'Cancelled'],
})
  .event(TransferStarted, { correlateBy: (p) => p.transferId })
  .event(TransferRejected, { correlateBy: (p) => p.transferId })
  .initially((s) =>
    s
      .when(TransferStarted)
      .then((ctx) => {
        ctx.data.amount = ctx.event.amount;
        ctx.compensation.add(Undebit, { amount: ctx.event.amount });
      })
      .transitionTo('Debited'),
  )
  .during('Debited', (s) => s.when(TransferRejected).compensate().transitionTo('Cancelled').finalize())
  .compensation(Undebit, () => {
    if (bank.offline) throw new Error('bank offline');
  });

export interface Seeded {
  /** Correlation ids of the order demo's orders (completed, declined, out of stock, far away). */
  readonly orders: readonly string[];
  /** Waiting in AwaitingPayment. */
  readonly waiting: string;
  /** compensation_failed. */
  readonly transfer: string;
  /** Dead letter of an event type nobody handles: replaying it fails again. */
  readonly unknownLetter: string;
  /** Dead letter of a payment for `late`, which now exists: replaying it succeeds. */
  readonly lateLetter: string;
  readonly late: string;
  /** Handled commands (`Verify`): ids of a completed and a failed one. */
  readonly commands: { readonly completed: string; readonly failed: string };
}

/** Fills `repository`; `tag` keeps correlation ids apart when several tests share a database. */
export async function seed(repository: SagaRepository, tag = 'a'): Promise<Seeded> {
  const { instances } = await runOrderDemo({ repository, runId: tag });
  const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga, TransferSaga], repository, onError: () => {} });
  try {
    const waiting = `waiting-${tag}`;
    await orchestrator.publish(OrderCreated, { orderId: waiting, customerId: 'dave', total: 12, items: [{ sku: 'MUG', quantity: 1 }] });

    const transfer = `transfer-${tag}`;
    await orchestrator.publish(TransferStarted, { transferId: transfer, amount: 30 });
    await orchestrator.publish(TransferRejected, { transferId: transfer });

    const unknown = await orchestrator.receive(createEnvelope('event', 'Nobody.Handles.This', { x: 1 }, { correlationId: `ghost-${tag}` }));
    const late = `late-${tag}`;
    const payment = await orchestrator.receive(
      createEnvelope('event', PaymentProcessed.name, { orderId: late, transactionId: `tx-${late}`, amount: 5 }),
    );
    await orchestrator.publish(OrderCreated, { orderId: late, customerId: 'erin', total: 5, items: [{ sku: 'PEN', quantity: 1 }] });
    if (unknown.status !== 'dead-lettered' || payment.status !== 'dead-lettered') throw new Error('seed: expected two dead letters');

    // Two handled commands: one completed, one failed after a retry.
    const handler = new SagaOrchestrator({ sagas: [], repository, onError: () => {} }).handle(
      Verify,
      (input) => (input.ok ? { checked: true } : Promise.reject(Object.assign(new Error('blocked card'), { code: 'BLOCKED' }))),
      { retry: { maxRetries: 1, initialDelayMs: 1 } },
    );
    const verified = createEnvelope('command', Verify.name, { ok: true }, { correlationId: `verify-ok-${tag}` });
    const refused = createEnvelope('command', Verify.name, { ok: false }, { correlationId: `verify-no-${tag}` });
    await handler.dispatch(verified);
    await handler.dispatch(refused);
    await handler.close();
    return {
      commands: { completed: verified.messageId, failed: refused.messageId },
      orders: instances.map((i) => i!.correlationId),
      waiting,
      transfer,
      unknownLetter: unknown.deadLetter.id,
      lateLetter: payment.deadLetter.id,
      late,
    };
  } finally {
    await orchestrator.close();
  }
}
