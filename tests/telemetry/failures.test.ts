/**
 * What goes wrong, as spans and metrics on the real SDK: version conflicts and retries, dead letters,
 * failing compensations, and the counters and duration histogram of processed events.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEMO_ORDERS, OrderCreated, OrderSaga, startOrderServices } from '../../examples/order-saga.ts';
import {
  defineCompensation,
  defineEvent,
  defineSaga,
  InMemorySagaRepository,
  InProcessBus,
  SagaflowMetrics as M,
  SagaOrchestrator,
} from '../../src/index.ts';
import { CounterSaga, Started } from '../helpers/counter-saga.ts';
import { interleavingRepository } from '../helpers/faulty-repository.ts';
import { parentOf, startOtel, useContextManager, type Otel } from './otel.ts';

useContextManager();

let otel: Otel;
beforeEach(() => {
  otel = startOtel();
});
afterEach(() => otel.shutdown());

const Opened = defineEvent('Opened', z.object({}));
const Broke = defineEvent('Broke', z.object({}));
const Charged = defineEvent('Charged', z.object({ fail: z.number().int() }));
const Undo = defineCompensation('undo', z.object({}));
let charges = 0;
/** Its compensation always throws; `Charged` fails its first `fail` attempts. */
const FragileSaga = defineSaga('fragile', { data: z.object({}), states: ['Open', 'Closed'] })
  .initially((s) => s.when(Opened).then((ctx) => ctx.compensation.add(Undo, {})).transitionTo('Open'))
  .during('Open', (s) =>
    s
      .when(Charged)
      .then((ctx) => {
        if (++charges <= ctx.event.fail) throw new Error(`charge ${charges} declined`);
      })
      .when(Broke)
      .compensate()
      .transitionTo('Closed')
      .finalize(),
  )
  .compensation(Undo, () => {
    throw new Error('undo failed');
  });

describe('conflicts and retries', () => {
  it('counts a version conflict and its retry, and shows the lost attempt as a failed transition span', async () => {
    const shared = interleavingRepository(new InMemorySagaRepository());
    const a = new SagaOrchestrator({ sagas: [CounterSaga], repository: shared, telemetry: otel.telemetry });
    const b = new SagaOrchestrator({ sagas: [CounterSaga], repository: shared, telemetry: otel.telemetry });
    await Promise.all([a.publish(Started, { by: 5 }, { correlationId: 'twin' }), b.publish(Started, { by: 7 }, { correlationId: 'twin' })]);
    expect(shared.conflicts).toBe(1);

    expect(await otel.metric(M.Conflicts, { 'sagaflow.saga.name': 'counter', 'messaging.destination.name': 'Started' })).toBe(1);
    expect(await otel.metric(M.Retries, { 'sagaflow.retry.reason': 'conflict' })).toBe(1);
    const lost = otel.spansNamed('sagaflow.transition').filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.attributes['error.type']).toBe('SAGA_CONCURRENCY_CONFLICT');
    // The loser's message: two attempts under one process span, which notes the retry.
    const loser = otel.spansNamed('process Started').find((p) => p.spanContext().spanId === parentOf(lost[0]!))!;
    expect(otel.spansNamed('sagaflow.transition').filter((t) => parentOf(t) === loser.spanContext().spanId)).toHaveLength(2);
    expect(loser.events.find((e) => e.name === 'sagaflow.retry')?.attributes).toMatchObject({ 'sagaflow.retry.reason': 'conflict', 'sagaflow.retry.attempt': 1 });
    expect(loser.attributes).toMatchObject({ 'sagaflow.outcome': 'ignored', 'sagaflow.ignore.reason': 'ignored' });
  });

  it('counts retries of a failing action by reason', async () => {
    charges = 0;
    const orchestrator = new SagaOrchestrator({
      sagas: [FragileSaga],
      telemetry: otel.telemetry,
      retry: { maxRetries: 3, immediateRetries: 3 },
    });
    await orchestrator.publish(Opened, {}, { correlationId: 'f-1' });
    await orchestrator.publish(Charged, { fail: 2 }, { correlationId: 'f-1' });
    expect(await otel.metric(M.Retries, { 'sagaflow.saga.name': 'fragile', 'sagaflow.retry.reason': 'action' })).toBe(2);
    const failed = otel.spansNamed('sagaflow.transition').filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failed.map((s) => s.attributes['error.type'])).toEqual(['SAGA_ACTION_FAILED', 'SAGA_ACTION_FAILED']);
    expect(otel.span('process Charged').attributes['sagaflow.outcome']).toBe('applied');
  });
});

describe('dead letters', () => {
  it('records a message no saga handles on a failed process span and counts it by reason, its type as _OTHER', async () => {
    const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], telemetry: otel.telemetry });
    const result = await orchestrator.receive({
      kind: 'event',
      type: 'SomethingRandom-42',
      messageId: 'm-1',
      correlationId: 'c-1',
      payload: {},
      timestamp: new Date().toISOString(),
      headers: {},
    });
    expect(result.status).toBe('dead-lettered');

    // An unbounded type never names a span or a metric series.
    const process = otel.span('process');
    expect(process.status.code).toBe(SpanStatusCode.ERROR);
    expect(process.attributes).toMatchObject({
      'messaging.destination.name': 'SomethingRandom-42',
      'error.type': 'SAGA_UNKNOWN_EVENT',
      'sagaflow.dead_letter.reason': 'unknown-event',
      'sagaflow.outcome': 'dead-lettered',
    });
    expect(await otel.metric(M.DeadLetters, { 'sagaflow.dead_letter.reason': 'unknown-event', 'messaging.destination.name': '_OTHER' })).toBe(1);
    expect(await otel.metric(M.EventsProcessed, { 'sagaflow.outcome': 'dead-lettered', 'messaging.destination.name': '_OTHER' })).toBe(1);
  });

  it('dead-letters a message whose retries ran out, naming the saga', async () => {
    charges = 0;
    const orchestrator = new SagaOrchestrator({ sagas: [FragileSaga], telemetry: otel.telemetry, retry: { maxRetries: 1, immediateRetries: 1 } });
    await orchestrator.publish(Opened, {}, { correlationId: 'f-2' });
    const result = await orchestrator.receive({ ...envelopeFor('Charged', { fail: 5 }), correlationId: 'f-2' });
    expect(result).toMatchObject({ status: 'dead-lettered', deadLetter: { reason: 'retries-exhausted', sagaName: 'fragile' } });
    expect(await otel.metric(M.DeadLetters, { 'sagaflow.saga.name': 'fragile', 'sagaflow.dead_letter.reason': 'retries-exhausted' })).toBe(1);
    expect(otel.span('process Charged').attributes).toMatchObject({ 'sagaflow.saga.name': 'fragile', 'error.type': 'SAGA_RETRIES_EXHAUSTED' });
  });
});

describe('compensation metrics and failures', () => {
  it('marks a failing compensation step span failed and counts the run as failed', async () => {
    const orchestrator = new SagaOrchestrator({ sagas: [FragileSaga], telemetry: otel.telemetry });
    await orchestrator.publish(Opened, {}, { correlationId: 'f-3' });
    const result = await orchestrator.publish(Broke, {}, { correlationId: 'f-3' });
    expect(result.outcomes[0]).toMatchObject({ status: 'compensation_failed' });

    const step = otel.span('sagaflow.compensate undo');
    expect(step.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'undo failed' });
    expect(step.attributes).toMatchObject({ 'error.type': 'Error', 'sagaflow.compensation.step': 'undo' });
    expect(await otel.metric(M.Compensations, { 'sagaflow.saga.name': 'fragile', 'sagaflow.outcome': 'failed' })).toBe(1);
    expect(await otel.metric(M.Compensations, { 'sagaflow.outcome': 'completed' })).toBe(0);
  });

  it('counts processed events per saga, type and outcome, and their durations, for whole orders', async () => {
    const bus = new InProcessBus();
    startOrderServices(bus);
    new SagaOrchestrator({ sagas: [OrderSaga], bus, telemetry: otel.telemetry });
    for (const order of DEMO_ORDERS) await bus.publish(OrderCreated, order);
    await bus.idle();

    const order = { 'sagaflow.saga.name': 'order' };
    expect(await otel.metric(M.EventsProcessed, { ...order, 'messaging.destination.name': 'OrderCreated', 'sagaflow.outcome': 'applied' })).toBe(4);
    expect(await otel.metric(M.EventsProcessed, { ...order, 'messaging.destination.name': 'OrderShipped' })).toBe(1);
    // order-1: 4 events, order-2: 2 (declined), order-3: 3, order-4: 4 (shipping fails).
    expect(await otel.metric(M.EventsProcessed, order)).toBe(13);
    expect(await otel.metric(M.ProcessDuration, order)).toBe(13);
    // order-3 released nothing but refunded; order-4 released and refunded: two completed runs.
    expect(await otel.metric(M.Compensations, { ...order, 'sagaflow.outcome': 'completed' })).toBe(2);
    expect(await otel.metric(M.Conflicts)).toBe(0);
  });
});

function envelopeFor(type: string, payload: unknown) {
  return { kind: 'event', type, messageId: crypto.randomUUID(), payload, timestamp: new Date().toISOString(), headers: {} };
}
