/**
 * Replaying production histories against next week's code (docs/replay.md). Last week's orders ran
 * through the order saga; their journals are exported as JSON lines (what `sagaflow export` writes)
 * and replayed through two new versions of the saga (what `sagaflow replay` does): one that keeps
 * every behaviour (a refactor), and one that now sends large orders to a manual review after payment.
 * The replay says which orders the change would have treated differently, and where.
 *
 * Run it: `npx tsx examples/replay.ts` (the tests do, in tests/examples/replay.test.ts).
 */
import { z } from 'zod';
import { defineCommand, defineEvent, defineSaga, exportHistories, InMemorySagaRepository, SagaOrchestrator, type HistoryLine } from '../src/index.ts';
import { replayHistories } from '../src/testing/index.ts';

const OrderPlaced = defineEvent('OrderPlaced', z.object({ orderId: z.string(), total: z.number() }));
const PaymentCaptured = defineEvent('PaymentCaptured', z.object({ orderId: z.string() }));
const Shipped = defineEvent('Shipped', z.object({ orderId: z.string() }));
const ShipOrder = defineCommand('ShipOrder', z.object({ orderId: z.string() }));

/** The checkout saga; `reviewAbove` is next week's change: larger orders wait for a review after payment. */
function checkout(reviewAbove = Number.POSITIVE_INFINITY) {
  return defineSaga('checkout', {
    data: z.object({ total: z.number().default(0) }),
    states: ['AwaitingPayment', 'InReview', 'Shipping', 'Done'],
  })
    .event(OrderPlaced, { correlateBy: (p) => p.orderId })
    .event(PaymentCaptured, { correlateBy: (p) => p.orderId })
    .event(Shipped, { correlateBy: (p) => p.orderId })
    .initially((s) => s.when(OrderPlaced).then((ctx) => void (ctx.data.total = ctx.event.total)).transitionTo('AwaitingPayment'))
    .during('AwaitingPayment', (s) =>
      s
        .when(PaymentCaptured, (ctx) => ctx.data.total > reviewAbove)
        .transitionTo('InReview')
        .when(PaymentCaptured)
        .send(ShipOrder, (ctx) => ({ orderId: ctx.instance.correlationId }))
        .transitionTo('Shipping'),
    )
    .during('InReview', 'Shipping', (s) => s.when(Shipped).transitionTo('Done').finalize());
}

// --- Last week, in production (here: in memory) ---------------------------------------------------
const repository = new InMemorySagaRepository();
const production = new SagaOrchestrator({ sagas: [checkout()], repository });
for (const [orderId, total] of [['o-1', 40], ['o-2', 2_500], ['o-3', 90]] as const) {
  await production.publish(OrderPlaced, { orderId, total });
  await production.publish(PaymentCaptured, { orderId });
  if (orderId !== 'o-3') await production.publish(Shipped, { orderId });
}
await production.close();

// `sagaflow export --saga checkout --out checkout.jsonl` writes these lines.
const lines: HistoryLine[] = [];
for await (const line of exportHistories(repository, { saga: 'checkout' })) lines.push(line);
const jsonl = lines.map((line) => JSON.stringify(line)).join('\n');
console.log(`exported ${lines.length} instances, ${lines.reduce((n, l) => n + l.history.length, 0)} events`);

// --- Next week's code, before it is deployed ------------------------------------------------------
// `sagaflow replay --sagas ./next-week.ts --from checkout.jsonl` does this, and exits with 1 on a divergence.
for (const [name, saga] of [['refactor', checkout()], ['review above 1000', checkout(1_000)]] as const) {
  const report = await replayHistories([saga], jsonl);
  console.log(`${name}: ${report.ok ? 'all replay as recorded' : `${report.diverged} of ${report.instances.length} diverge`}`);
  for (const { correlationId, divergence } of [...report.instances].sort((a, b) => a.correlationId.localeCompare(b.correlationId))) {
    if (divergence) console.log(`  ${correlationId}: ${divergence.kind} at event ${divergence.index}: ${divergence.message}`);
  }
}
