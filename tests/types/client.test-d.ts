/**
 * Type-level tests of `sagaflow/client`, checked by the compiler: `publish` takes the payload the
 * event's schema accepts (before defaults), answers are typed, and commands are not publishable.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent } from '../../src/index.ts';
import { createSagaflowClient, ingressEvent, type InstanceSummary, type PublishResult } from '../../src/client/index.ts';

const PaymentReceived = defineEvent('PaymentReceived', z.object({ orderId: z.string(), amount: z.number(), currency: z.string().default('EUR') }));
const ShipOrder = defineCommand('ShipOrder', z.object({ orderId: z.string() }));
const client = createSagaflowClient({ baseUrl: 'http://127.0.0.1:3000' });

describe('sagaflow/client types', () => {
  it('types the payload from the event definition, defaults optional', () => {
    expectTypeOf(client.publish(PaymentReceived, { orderId: 'o-1', amount: 3 })).resolves.toEqualTypeOf<PublishResult>();
    // @ts-expect-error amount must be a number
    void client.publish(PaymentReceived, { orderId: 'o-1', amount: '3' });
    // @ts-expect-error orderId is required
    void client.publish(PaymentReceived, { amount: 3 });
    // @ts-expect-error a command is not an event the ingress takes
    void client.publish(ShipOrder, { orderId: 'o-1' });
    // @ts-expect-error batch items are typed the same way
    ingressEvent(PaymentReceived, { orderId: 1, amount: 3 });
  });

  it('answers with typed views', () => {
    expectTypeOf(client.waitForState({ saga: 'order', correlationId: 'o-1' }, ['Paid', 'Failed'])).resolves.toEqualTypeOf<InstanceSummary>();
    expectTypeOf(client.find('order', 'o-1')).resolves.toEqualTypeOf<InstanceSummary | null>();
    expectTypeOf<PublishResult['outcome']>().toEqualTypeOf<'handled' | 'duplicate' | 'ignored'>();
  });
});
