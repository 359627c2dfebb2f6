/**
 * Spans of the order saga on the real OpenTelemetry SDK (in-memory exporter, AsyncLocalStorage context):
 * names, kinds, parents and attributes per the messaging semantic conventions, one trace across the
 * messages of an order, `traceparent` carried in envelope headers.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { beforeEach, afterEach, describe, expect, it } from 'vitest';
import {
  CreateShipment,
  DEMO_ORDERS,
  OrderCreated,
  OrderSaga,
  ProcessPayment,
  startOrderServices,
} from '../../examples/order-saga.ts';
import { createEnvelope, InMemorySagaRepository, InProcessBus, OutboxRelay, SagaOrchestrator, uuidv7, type Envelope } from '../../src/index.ts';
import { SAGAFLOW_VERSION } from '../../src/telemetry/version.ts';
import { ancestry, parentOf, startOtel, useContextManager, type Otel } from './otel.ts';
import packageJson from '../../package.json' with { type: 'json' };

useContextManager();

let otel: Otel;
beforeEach(() => {
  otel = startOtel();
});
afterEach(() => otel.shutdown());

function orderWorld(options: { telemetry?: Otel['telemetry'] | false } = {}) {
  const bus = new InProcessBus();
  const services = startOrderServices(bus);
  const orchestrator = new SagaOrchestrator({
    sagas: [OrderSaga],
    bus,
    ...(options.telemetry !== undefined ? { telemetry: options.telemetry } : { telemetry: otel.telemetry }),
  });
  const delivered: Envelope[] = [];
  bus.subscribe('*', (envelope) => void delivered.push(envelope));
  return { bus, services, orchestrator, delivered };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('tracing a completed order', () => {
  it('makes a CONSUMER span per message with messaging and saga attributes, and transition and persist spans under it', async () => {
    const { orchestrator } = orderWorld();
    const result = await orchestrator.publish(OrderCreated, DEMO_ORDERS[0]!);
    await orchestrator.idle();

    const process = otel.span('process OrderCreated');
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(process)).toBeUndefined();
    expect(process.instrumentationScope).toMatchObject({ name: 'sagaflow', version: SAGAFLOW_VERSION });
    expect(process.attributes).toMatchObject({
      'messaging.system': 'sagaflow',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.message.id': result.messageId,
      'messaging.destination.name': 'OrderCreated',
      // The envelope had none: the saga correlated it by the payload, and the span says which instance.
      'messaging.message.conversation_id': 'order-1',
      'sagaflow.saga.name': 'order',
      'sagaflow.state.before': 'Initial',
      'sagaflow.state.after': 'AwaitingPayment',
      'sagaflow.outcome': 'applied',
    });
    expect(process.attributes['sagaflow.instance.id']).toBe(result.outcomes[0]!.result === 'applied' ? result.outcomes[0]!.instanceId : 'none');

    const [transition] = otel.spansNamed('sagaflow.transition').filter((s) => parentOf(s) === process.spanContext().spanId);
    expect(transition).toBeDefined();
    expect(transition!.attributes).toMatchObject({ 'sagaflow.saga.name': 'order', 'sagaflow.state.after': 'AwaitingPayment' });
    const persist = otel.spansNamed('sagaflow.persist').find((s) => parentOf(s) === transition!.spanContext().spanId);
    expect(persist?.attributes).toMatchObject({ 'sagaflow.commit.kind': 'insert', 'sagaflow.repository': 'InMemorySagaRepository' });
    expect(persist?.attributes['db.system.name']).toBeUndefined();
    expect(persist?.kind).toBe(SpanKind.INTERNAL);
  });

  it('sends each command in a PRODUCER span whose context travels in the traceparent header, so the whole order is one trace', async () => {
    const { orchestrator, delivered } = orderWorld();
    await orchestrator.publish(OrderCreated, DEMO_ORDERS[0]!);
    await orchestrator.idle();

    const send = otel.span('send ProcessPayment');
    expect(send.kind).toBe(SpanKind.PRODUCER);
    const command = delivered.find((e) => e.type === ProcessPayment.name)!;
    expect(send.attributes).toMatchObject({
      'messaging.system': 'sagaflow',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'ProcessPayment',
      'messaging.message.id': command.messageId,
    });
    // The consumer sees the send span as the message's parent.
    const [, traceId, spanId] = TRACEPARENT.exec(command.headers.traceparent ?? '')!;
    expect(traceId).toBe(send.spanContext().traceId);
    expect(spanId).toBe(send.spanContext().spanId);
    // Sent for the transition that produced it (after its commit).
    expect(ancestry(send, otel.spans())).toEqual(['send ProcessPayment', 'sagaflow.transition', 'process OrderCreated']);

    // Payment → inventory → shipping: every hop continues the same trace.
    const shipped = otel.span('process OrderShipped');
    expect(shipped.attributes['sagaflow.state.after']).toBe('Completed');
    expect(new Set(otel.spans().map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    expect(ancestry(shipped, otel.spans())).toEqual([
      'process OrderShipped',
      'send CreateShipment',
      'sagaflow.transition',
      'process InventoryReserved',
      'send ReserveInventory',
      'sagaflow.transition',
      'process PaymentProcessed',
      'send ProcessPayment',
      'sagaflow.transition',
      'process OrderCreated',
    ]);
    expect(delivered.find((e) => e.type === CreateShipment.name)!.headers.traceparent).toMatch(TRACEPARENT);
  });

  it('continues the trace an incoming envelope carries in traceparent', async () => {
    const { orchestrator, delivered } = orderWorld();
    const upstream = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };
    const envelope = createEnvelope('event', 'OrderCreated', DEMO_ORDERS[0]!, {
      correlationId: 'order-1',
      headers: { traceparent: `00-${upstream.traceId}-${upstream.spanId}-01` },
    });
    const received = await orchestrator.receive(JSON.stringify(envelope));
    expect(received.status).toBe('handled');
    await orchestrator.idle();

    const process = otel.span('process OrderCreated');
    expect(process.spanContext().traceId).toBe(upstream.traceId);
    expect(parentOf(process)).toBe(upstream.spanId);
    expect(process.attributes['messaging.message.conversation_id']).toBe('order-1');
    expect(TRACEPARENT.exec(delivered.find((e) => e.type === ProcessPayment.name)!.headers.traceparent!)![1]).toBe(upstream.traceId);
  });

  it('records nothing and leaves envelopes untouched without an SDK (no global provider) or with telemetry: false', async () => {
    for (const telemetry of [undefined, false] as const) {
      const bus = new InProcessBus();
      startOrderServices(bus);
      const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], bus, ...(telemetry === false && { telemetry }) });
      const delivered: Envelope[] = [];
      bus.subscribe('*', (envelope) => void delivered.push(envelope));
      await orchestrator.publish(OrderCreated, DEMO_ORDERS[0]!);
      await orchestrator.idle();
      expect(delivered.map((e) => e.type)).toContain('OrderShipped');
      expect(delivered.filter((e) => e.headers.traceparent !== undefined)).toEqual([]);
    }
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(otel.spans()).toEqual([]);
  });
});

describe('tracing compensation', () => {
  it('makes one span per compensation step, last registered first, under the event that compensated', async () => {
    const { orchestrator, bus } = orderWorld();
    // Through the bus, where the shipping service learns the customer (far-away: shipping fails).
    await bus.publish(OrderCreated, DEMO_ORDERS[3]!);
    await orchestrator.idle();

    const release = otel.span('sagaflow.compensate releaseInventory');
    const refund = otel.span('sagaflow.compensate refundPayment');
    expect(release.attributes).toMatchObject({
      'sagaflow.saga.name': 'order',
      'sagaflow.correlation.id': 'order-4',
      'sagaflow.compensation.step': 'releaseInventory',
      'sagaflow.compensation.attempt': 1,
    });
    expect(release.startTime <= refund.startTime).toBe(true);
    expect(ancestry(refund, otel.spans()).slice(1, 3)).toEqual(['sagaflow.transition', 'process ShippingFailed']);
    expect(otel.span('process ShippingFailed').attributes).toMatchObject({ 'sagaflow.state.after': 'Failed', 'sagaflow.status': 'faulted' });
  });
});

describe('tracing the outbox relay', () => {
  it('delivers a stored message in a send span under the trace it was created in, and the consumer continues it', async () => {
    const repository = new InMemorySagaRepository();
    const bus = new InProcessBus();
    const consumer = new SagaOrchestrator({ sagas: [OrderSaga], bus, telemetry: otel.telemetry });
    const creator = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
    const envelope = createEnvelope('event', 'OrderCreated', DEMO_ORDERS[0]!, {
      headers: { traceparent: `00-${creator.traceId}-${creator.spanId}-01` },
    });
    // Left in the outbox by a process that died before delivering it.
    await repository.stageOutbox([{ id: uuidv7(), envelope, availableAt: new Date(Date.now() - 1000) }]);
    const relay = new OutboxRelay({ repository, bus, telemetry: otel.telemetry });
    expect(await relay.runOnce()).toMatchObject({ sent: 1, failed: 0 });

    const send = otel.span('send OrderCreated');
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.spanContext().traceId).toBe(creator.traceId);
    expect(parentOf(send)).toBe(creator.spanId);
    const process = otel.span('process OrderCreated');
    expect(parentOf(process)).toBe(send.spanContext().spanId);
    expect(process.attributes['sagaflow.outcome']).toBe('applied');
    expect(await consumer.find(OrderSaga, 'order-1')).toMatchObject({ state: 'AwaitingPayment' });
  });

  it('marks a send span failed when the transport refuses the message', async () => {
    const repository = new InMemorySagaRepository();
    const bus = new InProcessBus();
    bus.subscribe('OrderCreated', () => {
      throw new Error('broker unavailable');
    });
    const envelope = createEnvelope('event', 'OrderCreated', DEMO_ORDERS[0]!);
    await repository.stageOutbox([{ id: uuidv7(), envelope, availableAt: new Date(Date.now() - 1000) }]);
    const relay = new OutboxRelay({ repository, bus, telemetry: otel.telemetry, onError: () => {} });
    expect(await relay.runOnce()).toMatchObject({ sent: 0, failed: 1 });
    const send = otel.span('send OrderCreated');
    expect(send.status.code).toBe(SpanStatusCode.ERROR);
    expect(send.attributes['error.type']).toBe('Error');
    expect(send.events.map((e) => e.name)).toContain('exception');
  });
});

describe('instrumentation scope', () => {
  it('reports the version in package.json', () => {
    expect(SAGAFLOW_VERSION).toBe(packageJson.version);
  });
});
