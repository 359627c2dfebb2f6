/**
 * The order saga end to end over the real RabbitMQ: an orchestrator consumes as service `orders`, the
 * payment, inventory and shipping services as service `services`, everything through one exchange.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createEnvelope, InMemorySagaRepository, SagaOrchestrator, type Envelope, type MessageBus } from '../../src/index.ts';
import { RabbitMqTransport } from '../../src/rabbitmq/index.ts';
import {
  CreateShipment,
  OrderCreated,
  OrderSaga,
  ProcessPayment,
  RefundPayment,
  ReleaseInventory,
  ReserveInventory,
} from '../../examples/order-saga.ts';
import { AMQP_URL, deleteTopology, eventually, uniqueExchange } from './helpers.ts';
import { holdBrokerForThisFile } from '../helpers/broker-lock.ts';

// The cluster test restarts the broker: broker tests take turns.
holdBrokerForThisFile();

const exchange = uniqueExchange('orders');
const PARTITIONS = 4;
const closers: Array<() => Promise<void>> = [];

async function transport(service: string): Promise<RabbitMqTransport> {
  const t = new RabbitMqTransport({ url: AMQP_URL, exchange, service, partitions: PARTITIONS, onError: () => {} });
  closers.push(() => t.close());
  return t;
}

/** Payment, inventory and shipping as consumers on their own service queues; they answer with events. */
async function startServices(): Promise<{ refunds: string[]; releases: string[] }> {
  const bus = await transport('services');
  const refunds: string[] = [];
  const releases: string[] = [];
  const reply = (to: Envelope, type: string, payload: unknown) =>
    bus.publish(createEnvelope('event', type, payload, { correlationId: to.correlationId, causationId: to.messageId }));
  bus.subscribe(ProcessPayment.name, (env) => {
    const { orderId, amount } = ProcessPayment.parse(env.payload);
    if (amount > 1000) return reply(env, 'PaymentFailed', { orderId, reason: 'card declined' });
    return reply(env, 'PaymentProcessed', { orderId, transactionId: `tx-${orderId}`, amount });
  });
  bus.subscribe(ReserveInventory.name, (env) => {
    const { orderId } = ReserveInventory.parse(env.payload);
    return reply(env, 'InventoryReserved', { orderId, reservationId: `res-${orderId}` });
  });
  bus.subscribe(CreateShipment.name, (env) => {
    const { orderId } = CreateShipment.parse(env.payload);
    if (orderId.startsWith('far-')) return reply(env, 'ShippingFailed', { orderId, reason: 'no carrier' });
    return reply(env, 'OrderShipped', { orderId, trackingNumber: `TRK-${orderId}` });
  });
  bus.subscribe(RefundPayment.name, (env) => void refunds.push(RefundPayment.parse(env.payload).transactionId));
  bus.subscribe(ReleaseInventory.name, (env) => void releases.push(ReleaseInventory.parse(env.payload).reservationId));
  await bus.start();
  return { refunds, releases };
}

function order(orderId: string, total = 50): Envelope {
  return createEnvelope('event', OrderCreated.name, { orderId, customerId: 'c', total, items: [{ sku: 'A', quantity: 1 }] }, { correlationId: orderId });
}

async function finished(orchestrator: SagaOrchestrator, ids: readonly string[]): Promise<boolean> {
  for (const id of ids) {
    const instance = await orchestrator.find(OrderSaga, id);
    if (!instance || (instance.status !== 'completed' && instance.status !== 'faulted')) return false;
  }
  return true;
}

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await deleteTopology(exchange, ['orders', 'services'], PARTITIONS);
});

describe('an orchestrator on RabbitMQ', () => {
  it('runs order sagas to the end through the broker: completed, declined and compensated', async () => {
    const repository = new InMemorySagaRepository();
    const bus = await transport('orders');
    const errors: unknown[] = [];
    const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository, bus, onError: (e) => errors.push(e) });
    closers.push(() => orchestrator.close());
    await bus.start();
    const { refunds, releases } = await startServices();

    const ok = Array.from({ length: 20 }, (_, i) => `ok-${i}`);
    for (const id of ok) await bus.publish(order(id));
    await bus.publish(order('big-1', 5000));
    await bus.publish(order('far-1'));
    const duplicate = order('ok-0');
    await bus.publish(duplicate);
    await bus.publish(duplicate); // the inbox makes the broker's (or a producer's) duplicates harmless

    const all = [...ok, 'big-1', 'far-1'];
    await eventually('every order to finish', () => finished(orchestrator, all), 20_000);
    await orchestrator.idle();

    for (const id of ok) expect((await orchestrator.find(OrderSaga, id))?.state).toBe('Completed');
    expect((await orchestrator.find(OrderSaga, 'big-1'))?.data.failureReason).toBe('card declined');
    const far = await orchestrator.find(OrderSaga, 'far-1');
    expect([far?.state, far?.status]).toEqual(['Failed', 'faulted']);
    await eventually('the compensations to reach the services', () => refunds.length === 1 && releases.length === 1);
    expect(refunds).toEqual(['tx-far-1']);
    expect(releases).toEqual(['res-far-1']);
    expect(errors).toEqual([]);
    // Every outgoing message was confirmed by the broker, so the outbox is empty.
    expect(await repository.claimOutbox({ limit: 10, now: new Date(Date.now() + 3_600_000), leaseUntil: new Date(Date.now() + 3_600_000) })).toEqual([]);
  });

  it('stores a message that can never succeed as a dead letter in the repository, and acknowledges it', async () => {
    const repository = new InMemorySagaRepository();
    const bus = await transport('orders');
    const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository, bus, onError: () => {} });
    closers.push(() => orchestrator.close());
    await bus.start();
    const bad = createEnvelope('event', OrderCreated.name, { orderId: 'bad-1', total: -5 }, { correlationId: 'bad-1' });
    await bus.publish(bad);
    await eventually('the dead letter', async () => (await orchestrator.deadLetters.list()).items.length === 1);
    const [letter] = (await orchestrator.deadLetters.list()).items;
    expect(letter?.messageId).toBe(bad.messageId);
  });

  it('hands a partition to another instance of the service when its consumer goes away', async () => {
    const repository = new InMemorySagaRepository();
    await startServices();
    const handled = { a: 0, b: 0 };
    // Counts what each instance's orchestrator received, by wrapping its bus.
    const counted = (t: RabbitMqTransport, key: 'a' | 'b'): MessageBus => ({
      publish: (e) => t.publish(e),
      subscribe: (type, h) => t.subscribe(type, (e) => (handled[key]++, h(e))),
    });
    const busA = await transport('orders');
    const a = new SagaOrchestrator({ sagas: [OrderSaga], repository, bus: counted(busA, 'a'), onError: () => {} });
    await busA.start();
    const busB = await transport('orders');
    const b = new SagaOrchestrator({ sagas: [OrderSaga], repository, bus: counted(busB, 'b'), onError: () => {} });
    closers.push(() => b.close());
    await busB.start();

    const first = Array.from({ length: 10 }, (_, i) => `sac-a-${i}`);
    for (const id of first) await busB.publish(order(id));
    await eventually('the first orders to finish', () => finished(b, first), 20_000);
    // Single active consumer: A consumed first, so A had every partition and B waited.
    expect(handled.b).toBe(0);
    expect(handled.a).toBeGreaterThanOrEqual(40);

    await a.close();
    await busA.close();
    const second = Array.from({ length: 10 }, (_, i) => `sac-b-${i}`);
    for (const id of second) await busB.publish(order(id));
    await eventually('the second orders to finish', () => finished(b, second), 20_000);
    expect(handled.b).toBeGreaterThanOrEqual(40);
  });
});
