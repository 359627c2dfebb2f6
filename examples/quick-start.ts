/**
 * The README's quick start, verbatim: the tests run it, so the README cannot drift from the code.
 */
import { z } from 'zod';
import { SagaOrchestrator, defineCompensation, defineEvent, defineSaga } from '../src/index.ts';

const OrderPlaced = defineEvent('OrderPlaced', z.object({ orderId: z.string(), total: z.number() }));
const PaymentCaptured = defineEvent('PaymentCaptured', z.object({ orderId: z.string(), transactionId: z.string() }));
const StockMissing = defineEvent('StockMissing', z.object({ orderId: z.string() }));
const Refund = defineCompensation('refund', z.object({ transactionId: z.string() }));

export const refunds: string[] = [];

export const Checkout = defineSaga('checkout', {
  data: z.object({ total: z.number().default(0), transactionId: z.string().optional() }),
  states: ['AwaitingPayment', 'AwaitingStock', 'Cancelled'],
})
  .event(PaymentCaptured, { correlateBy: (p) => p.orderId })
  .event(StockMissing, { correlateBy: (p) => p.orderId })
  .initially((s) => s.when(OrderPlaced).then((ctx) => void (ctx.data.total = ctx.event.total)).transitionTo('AwaitingPayment'))
  .during('AwaitingPayment', (s) =>
    s
      .when(PaymentCaptured)
      .then((ctx) => {
        ctx.data.transactionId = ctx.event.transactionId;
        ctx.compensation.add(Refund, { transactionId: ctx.event.transactionId });
      })
      .transitionTo('AwaitingStock'),
  )
  .during('AwaitingStock', (s) => s.when(StockMissing).compensate().transitionTo('Cancelled').finalize())
  .compensation(Refund, (args) => void refunds.push(args.transactionId));

export async function quickStart() {
  const orchestrator = new SagaOrchestrator({ sagas: [Checkout] });
  await orchestrator.publish(OrderPlaced, { orderId: 'o-1', total: 25 }, { correlationId: 'o-1' });
  await orchestrator.publish(PaymentCaptured, { orderId: 'o-1', transactionId: 'tx-1' });
  await orchestrator.publish(StockMissing, { orderId: 'o-1' });

  const order = await orchestrator.find(Checkout, 'o-1');
  console.log(order?.state, order?.status, refunds); // Cancelled faulted [ 'tx-1' ]
  return order;
}
