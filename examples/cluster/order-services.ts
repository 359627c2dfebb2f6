/**
 * The order saga's payment, inventory and shipping services for a broker: each command is answered
 * with the event the real service would publish. A reply's message id is derived from the command's,
 * so a command the broker redelivers (a worker died before acking it) produces the same reply, which
 * the saga's inbox then ignores.
 */
import type { MessageBus } from '../../src/index.ts';
import { createEnvelope, type Envelope, type MessageDefinition } from '../../src/index.ts';
import {
  CreateShipment,
  InventoryReservationFailed,
  InventoryReserved,
  OrderShipped,
  PaymentFailed,
  PaymentProcessed,
  ProcessPayment,
  RefundPayment,
  ReleaseInventory,
  ReserveInventory,
  ShippingFailed,
} from '../order-saga.ts';

/** Orders whose id ends in these suffixes fail at that step, so the run has compensations in it. */
export const FAILS_AT_STOCK = '-nostock';
export const FAILS_AT_SHIPPING = '-noship';

export function subscribeOrderServices(bus: MessageBus): () => void {
  const reply = (command: Envelope, message: MessageDefinition, payload: unknown) =>
    bus.publish(
      createEnvelope('event', message.name, message.parse(payload), {
        messageId: `${command.messageId}:${message.name}`,
        causationId: command.messageId,
        ...(command.correlationId !== undefined && { correlationId: command.correlationId }),
      }),
    );
  const offs = [
    bus.subscribe(ProcessPayment.name, (env) => {
      const { orderId, amount } = ProcessPayment.parse(env.payload);
      if (amount > 1000) return reply(env, PaymentFailed, { orderId, reason: 'card declined' });
      return reply(env, PaymentProcessed, { orderId, transactionId: `tx-${orderId}`, amount });
    }),
    bus.subscribe(ReserveInventory.name, (env) => {
      const { orderId } = ReserveInventory.parse(env.payload);
      if (orderId.endsWith(FAILS_AT_STOCK)) return reply(env, InventoryReservationFailed, { orderId, reason: 'out of stock' });
      return reply(env, InventoryReserved, { orderId, reservationId: `res-${orderId}` });
    }),
    bus.subscribe(CreateShipment.name, (env) => {
      const { orderId } = CreateShipment.parse(env.payload);
      if (orderId.endsWith(FAILS_AT_SHIPPING)) return reply(env, ShippingFailed, { orderId, reason: 'no carrier' });
      return reply(env, OrderShipped, { orderId, trackingNumber: `TRK-${orderId}` });
    }),
    // Compensations: nothing to answer.
    bus.subscribe(RefundPayment.name, () => {}),
    bus.subscribe(ReleaseInventory.name, () => {}),
  ];
  return () => offs.forEach((off) => off());
}
