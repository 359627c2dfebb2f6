/**
 * The HTTP ingress and the typed client, end to end: a served API publishes events into the order saga
 * for a shop (the typed `sagaflow/client`) and a payment provider (a plain webhook POST, the same as the
 * curl line it prints), and a dashboard-side client waits for the order to reach a state. The provider
 * delivers its webhook twice, as providers do: the second is a `duplicate`. Run it with
 * `npx tsx examples/ingress.ts`; tests/examples/ingress.test.ts executes it.
 */
import { InMemorySagaRepository, SagaOperations, SagaOrchestrator } from '../src/index.ts';
import { serveSagaflow } from '../src/http/index.ts';
import { createSagaflowClient } from '../src/client/index.ts';
import { OrderCreated, OrderSaga } from './order-saga.ts';

// Each principal gets its own token and role. An `ingress` token can publish and read nothing.
const SHOP = 'shop-ingress-token-change-me';
const PSP = 'psp-webhook-token-change-me';
const DASHBOARD = 'viewer-token-change-me-too';

export interface IngressExampleResult {
  readonly created: string;
  readonly webhook: readonly string[];
  readonly state: string;
  readonly curl: string;
}

export async function runIngressExample(log: (line: string) => void = console.log): Promise<IngressExampleResult> {
  const repository = new InMemorySagaRepository();
  // The ingress dispatches in this process, so the API needs an orchestrator with the sagas.
  const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository });
  const server = await serveSagaflow({
    ops: new SagaOperations({ repository, sagas: [OrderSaga], orchestrator }),
    port: 0,
    dashboard: false,
    principals: [
      { name: 'shop', role: 'ingress', token: SHOP },
      { name: 'psp-webhook', role: 'ingress', token: PSP },
      { name: 'dashboard', role: 'viewer', token: DASHBOARD },
    ],
  });
  try {
    // 1. The shop publishes with the typed client: the payload is checked against OrderCreated's schema.
    const shop = createSagaflowClient({ baseUrl: server.url, token: SHOP });
    const created = await shop.publish(
      OrderCreated,
      { orderId: 'o-42', customerId: 'c-7', total: 30, items: [{ sku: 'MUG', quantity: 2 }] },
      { messageId: 'shop-order-o-42' },
    );
    log(`shop: OrderCreated ${created.outcome} -> ${created.sagas[0]?.state}`);

    // 2. The payment provider's webhook: plain JSON over HTTP, with its own event id as the message id.
    const body = JSON.stringify({
      type: 'PaymentProcessed',
      payload: { orderId: 'o-42', transactionId: 'tx-981', amount: 30 },
      messageId: 'psp-evt-981',
    });
    const curl = `curl -sS -X POST ${server.url}/api/ingress/events -H 'Authorization: Bearer ${PSP}' -H 'Content-Type: application/json' -d '${body}'`;
    log(`webhook, as curl: ${curl}`);
    const webhook: string[] = [];
    for (let delivery = 1; delivery <= 2; delivery++) {
      const response = await fetch(`${server.url}/api/ingress/events`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${PSP}`, 'Content-Type': 'application/json' },
        body,
      });
      const answer = (await response.json()) as { outcome: string };
      webhook.push(`${response.status} ${answer.outcome}`);
      log(`psp: delivery ${delivery} -> ${response.status} ${answer.outcome}`);
    }

    // 3. Another client (a viewer) waits for the order to get there.
    const dashboard = createSagaflowClient({ baseUrl: server.url, token: DASHBOARD });
    const order = await dashboard.waitForState({ saga: 'order', correlationId: 'o-42' }, 'AwaitingInventory', { timeoutMs: 10_000 });
    log(`dashboard: order o-42 is ${order.state} (version ${order.version})`);
    return { created: created.outcome, webhook, state: order.state, curl };
  } finally {
    await server.close();
    await orchestrator.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runIngressExample();
