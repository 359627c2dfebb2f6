/**
 * Telemetry with the Prisma repository on real PostgreSQL: persist spans name the database, and the
 * messages of an order still form one trace when their writes go through group commit.
 */
import { SpanKind } from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ORDERS, OrderCreated, OrderSaga, startOrderServices } from '../../examples/order-saga.ts';
import { InProcessBus, SagaflowMetrics as M, SagaOrchestrator } from '../../src/index.ts';
import type { PrismaSagaRepository } from '../../src/prisma/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';
import { ancestry, parentOf, startOtel, useContextManager } from './otel.ts';

useContextManager();
const db = useTestDatabase();
let repository: PrismaSagaRepository;
beforeAll(async () => {
  repository = await db.repository({ poolSize: 4 });
});

describe('telemetry on PostgreSQL', () => {
  it('makes CLIENT persist spans with db.system.name postgresql, inside one trace per order', async () => {
    const otel = startOtel();
    const bus = new InProcessBus();
    startOrderServices(bus);
    const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], bus, repository, telemetry: otel.telemetry });
    await bus.publish(OrderCreated, DEMO_ORDERS[0]!);
    await orchestrator.idle();
    expect(await orchestrator.find(OrderSaga, 'order-1')).toMatchObject({ state: 'Completed', version: 4 });

    const persists = otel.spansNamed('sagaflow.persist');
    expect(persists).toHaveLength(4);
    for (const persist of persists) {
      expect(persist.kind).toBe(SpanKind.CLIENT);
      expect(persist.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'sagaflow.repository': 'PrismaSagaRepository' });
    }
    expect(persists.map((p) => p.attributes['sagaflow.commit.kind'])).toEqual(['insert', 'update', 'update', 'update']);
    const shipped = otel.span('process OrderShipped');
    expect(ancestry(shipped, otel.spans()).at(-1)).toBe('process OrderCreated');
    expect(new Set(otel.spans().map((s) => s.spanContext().traceId)).size).toBe(1);
    const transition = otel.spansNamed('sagaflow.transition').find((t) => parentOf(t) === shipped.spanContext().spanId)!;
    expect(persists.some((p) => parentOf(p) === transition.spanContext().spanId)).toBe(true);
    expect(await otel.metric(M.EventsProcessed, { 'sagaflow.saga.name': 'order', 'sagaflow.outcome': 'applied' })).toBe(4);
    await orchestrator.close();
    await otel.shutdown();
  });
});
