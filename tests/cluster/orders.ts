/**
 * @module tests/cluster/orders
 * The cluster test's workload: `OrderCreated` envelopes for `count` orders (one in ten fails for want
 * of stock, one in ten at shipping; see `order-services.ts`), and a publisher that streams them through
 * the broker with a bounded number of confirms outstanding, publishing again what was not confirmed.
 */
import { createEnvelope, TransportError, type Envelope } from '../../src/index.ts';
import { FAILS_AT_SHIPPING, FAILS_AT_STOCK } from '../../examples/cluster/order-services.ts';
import { OrderCreated } from '../../examples/order-saga.ts';

/** Order ids by index: `…3` fail at stock, `…7` at shipping, the rest complete. */
export function orderId(i: number): string {
  const id = `order-${String(i).padStart(5, '0')}`;
  if (i % 10 === 3) return `${id}${FAILS_AT_STOCK}`;
  if (i % 10 === 7) return `${id}${FAILS_AT_SHIPPING}`;
  return id;
}

/** One `OrderCreated` per order, correlated by the order id (so all of a saga's messages share a partition). */
export function orderEnvelopes(count: number): Envelope[] {
  return Array.from({ length: count }, (_, i) => {
    const id = orderId(i);
    // Totals stay under 1000: payment never fails, so every order reaches the step its suffix names.
    const payload = OrderCreated.parse({ orderId: id, customerId: `c-${i % 50}`, total: 10 + (i % 90), items: [{ sku: `SKU-${i % 7}`, quantity: 1 + (i % 3) }] });
    return createEnvelope('event', OrderCreated.name, payload, { correlationId: id });
  });
}

/** What the scenario publishes through: any started transport. */
export interface ClusterPublisher {
  publish(envelope: Envelope): Promise<void>;
  close(): Promise<void>;
}

export interface PublishStats {
  /** Publishes that failed (the broker was away, a confirm was lost) and were made again. */
  retries: number;
}

/**
 * Publishes the envelopes in order, the `i`th not before `startAt + i / length * spreadMs` (a stream, not
 * a batch), at most `window` unconfirmed at once. As a real publisher would, it publishes again what
 * the transport could not confirm (`TransportError`): the copy that may have reached the broker after
 * all is a duplicate the inbox drops.
 */
export async function publishStream(
  transport: ClusterPublisher,
  envelopes: readonly Envelope[],
  options: { readonly spreadMs?: number; readonly window?: number; readonly giveUpAfterMs?: number } = {},
): Promise<PublishStats> {
  const { spreadMs = 0, window = 128, giveUpAfterMs = 30_000 } = options;
  const stats: PublishStats = { retries: 0 };
  const startAt = Date.now();
  let next = 0;
  const publish = async (envelope: Envelope) => {
    const deadline = Date.now() + giveUpAfterMs;
    for (;;) {
      try {
        return await transport.publish(envelope);
      } catch (error) {
        if (!(error instanceof TransportError) || Date.now() > deadline) throw error;
        stats.retries++;
        await sleep(100);
      }
    }
  };
  const lane = async () => {
    while (next < envelopes.length) {
      const i = next++;
      const wait = startAt + (i / envelopes.length) * spreadMs - Date.now();
      if (wait > 0) await sleep(wait);
      await publish(envelopes[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, envelopes.length) }, lane));
  return stats;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
