/**
 * The operator's console, part "find" and "keep the store lean", on the in-memory store (the contract
 * tests run the store methods on every store): stuck instances, search with totals, dead letters at a
 * glance, throughput, the stuck gauge, purge and the worker host's retention, the CLI and API over them.
 */
import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import { beforeEach, describe, expect, it } from 'vitest';
import { InMemorySagaRepository, SagaOperations, SagaOrchestrator, type SagaRepository } from '../../src/index.ts';
import { createSagaflowApi } from '../../src/http/index.ts';
import { InvalidFilterError } from '../../src/errors/invalid-filter-error.ts';
import { WorkerHost } from '../../src/host/worker-host.ts';
import { findStuck } from '../../src/ops/stuck.ts';
import { searchInstances } from '../../src/ops/search.ts';
import { deadLetterCounts, throughput } from '../../src/ops/console-stats.ts';
import { observeStuckInstances, STUCK_GAUGE } from '../../src/ops/stuck-gauge.ts';
import { purge } from '../../src/ops/retention.ts';
import { purgeCommand, searchCommand, stuckCommand, thresholdsOf } from '../../src/cli/find-commands.ts';
import { runCli } from '../../src/cli/program.ts';
import { capturingIo } from '../../src/cli/io.ts';
import { insertOf, makeInstance, updateOf } from '../helpers/records.ts';
import { OrderSaga, seed, TransferSaga, type Seeded } from './fixtures.ts';

const HOUR = 3_600_000;
let repository: InMemorySagaRepository;
let seeded: Seeded;
/** Operations two hours from now: everything seeded has been idle for two hours. */
let later: SagaOperations;
const at = (offset: number) => ({ now: () => Date.now() + offset });

beforeEach(async () => {
  repository = new InMemorySagaRepository();
  seeded = await seed(repository);
  later = new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga], clock: at(2 * HOUR) });
});

async function finished(repo: SagaRepository, correlationId: string, ageMs: number) {
  const when = new Date(Date.now() - ageMs);
  const first = makeInstance({ sagaName: 'archive', correlationId, createdAt: when, updatedAt: when });
  await repo.commit(insertOf(first));
  await repo.commit(updateOf(first, { status: 'completed', state: 'Done', completedAt: when, updatedAt: when }).commit);
}

describe('stuck instances', () => {
  it('finds idle instances with nothing pending, failed compensations and run-out compensation leases', async () => {
    const old = new Date(Date.now() - 5 * 60_000);
    await repository.commit(insertOf(makeInstance({ sagaName: 'transfer', correlationId: 'orphan', status: 'compensating', createdAt: old, updatedAt: old })));
    const report = await findStuck(later, { compensationLeaseMs: 60_000 });
    const kinds = Object.fromEntries(report.items.map((i) => [i.correlationId, i.kind]));
    expect(kinds[seeded.waiting]).toBe('idle');
    expect(kinds[seeded.transfer]).toBe('compensation_failed');
    expect(kinds.orphan).toBe('lease_expired');
    // Finished orders are never stuck.
    expect(report.items.every((i) => i.status !== 'completed' && i.status !== 'faulted')).toBe(true);
    expect(report.total).toBe(report.counts.reduce((n, c) => n + c.count, 0));
    expect(report.counts).toContainEqual({ sagaName: 'transfer', kind: 'compensation_failed', count: 1 });
  });

  it('honours thresholds per saga and per state, and lists nothing idle before its threshold', async () => {
    const now = new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga] });
    expect((await findStuck(now)).items.map((i) => i.kind)).not.toContain('idle');
    const lenient = await findStuck(later, { sagas: { order: { states: { AwaitingPayment: 3 * HOUR } } } });
    expect(lenient.items.map((i) => i.correlationId)).not.toContain(seeded.waiting);
    const strictSaga = await findStuck(later, { olderThanMs: 10 * HOUR, sagas: { order: { olderThanMs: HOUR } } });
    expect(strictSaga.items.find((i) => i.correlationId === seeded.waiting)?.thresholdMs).toBe(HOUR);
    expect(() => thresholdsOf(['order=soon'])).toThrow(/is not <saga>/);
    expect(thresholdsOf(['order=2h', 'order.AwaitingPayment=1d'])).toEqual({ order: { olderThanMs: 2 * HOUR, states: { AwaitingPayment: 24 * HOUR } } });
  });

  it('reports counts as the sagaflow.instances.stuck gauge, with 0 once a series clears', async () => {
    class Reader extends MetricReader {
      protected override async onShutdown() {}
      protected override async onForceFlush() {}
    }
    const reader = new Reader();
    const provider = new MeterProvider({ readers: [reader] });
    observeStuckInstances({ meter: provider.getMeter('test'), ops: later });
    const points = async () => {
      const { resourceMetrics } = await reader.collect();
      const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === STUCK_GAUGE);
      return Object.fromEntries((metric?.dataPoints as DataPoint<number>[]).map((p) => [`${p.attributes.saga}/${p.attributes.kind}`, p.value]));
    };
    expect(await points()).toMatchObject({ 'order/idle': expect.any(Number), 'transfer/compensation_failed': 1 });
    const transfer = (await repository.findByCorrelation('transfer', seeded.transfer))!;
    await repository.commit(updateOf(transfer, { status: 'faulted', completedAt: new Date() }).commit);
    expect((await points())['transfer/compensation_failed']).toBe(0);
    await provider.shutdown();
  });
});

describe('search and the figures at a glance', () => {
  it('searches by data, prefix and dates with the total count, and refuses a bad condition', async () => {
    const dave = await searchInstances(later, { where: ['data.customerId = dave'] });
    expect(dave.total).toBe(1);
    expect(dave.items[0]!.correlationId).toBe(seeded.waiting);
    const paged = await searchInstances(later, { saga: 'order', limit: 1 });
    expect(paged.items).toHaveLength(1);
    expect(paged.total).toBe((await repository.countInstances({ sagaName: 'order' })));
    expect(paged.total).toBeGreaterThan(1);
    expect((await searchInstances(later, { correlationIdPrefix: 'waiting-' })).total).toBe(1);
    expect((await searchInstances(later, { createdAfter: new Date(Date.now() + HOUR).toISOString() })).total).toBe(0);
    await expect(searchInstances(later, { where: ['customerId = dave'] })).rejects.toBeInstanceOf(InvalidFilterError);
    await expect(searchInstances(later, { createdAfter: 'yesterday' })).rejects.toBeInstanceOf(InvalidFilterError);
  });

  it('counts dead letters by reason and type, and per-saga activity over the last hour', async () => {
    const counts = await deadLetterCounts(later);
    expect(counts.total).toBe(2);
    expect(counts.byType.map((t) => t.type).sort()).toEqual(['Nobody.Handles.This', 'PaymentProcessed']);
    expect(counts.byReason.reduce((n, r) => n + r.count, 0)).toBe(2);
    const recent = await throughput(new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga] }));
    const transfer = recent.sagas.find((s) => s.sagaName === 'transfer')!;
    expect(transfer).toMatchObject({ applied: 2, compensationFailed: 1, compensated: 0 });
    expect(recent.sagas.find((s) => s.sagaName === 'order')!.applied).toBeGreaterThan(4);
    // Two hours on, the last hour is empty, but every known saga is still listed.
    expect((await throughput(later)).sagas.map((s) => s.applied)).toEqual([0, 0]);
  });
});

describe('retention', () => {
  it('purges finished instances older than the age, dry run first, per saga rule, and keeps the rest', async () => {
    await finished(repository, 'old', 40 * 24 * HOUR);
    await finished(repository, 'new', HOUR);
    const policy = { olderThanMs: 30 * 24 * HOUR, sagas: { order: false as const } };
    const dry = await purge({ repository, policy, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, instances: 1 });
    expect(await repository.findByCorrelation('archive', 'old')).not.toBeNull();
    const done = await purge({ repository, policy: { ...policy, batchSize: 1 } });
    expect(done).toMatchObject({ instances: 1, batches: 2 });
    expect(await repository.findByCorrelation('archive', 'old')).toBeNull();
    expect(await repository.findByCorrelation('archive', 'new')).not.toBeNull();
    // Completed orders from the demo are minutes old: a 1-minute rule for 'order' would take them, `false` did not.
    expect(await repository.countInstances({ sagaName: 'order', status: 'completed' })).toBeGreaterThan(0);
  });

  it('runs periodically in a worker host, and stops with it', async () => {
    await finished(repository, 'old', 2 * HOUR);
    const orchestrator = new SagaOrchestrator({ sagas: [OrderSaga], repository, subscribe: false });
    const host = new WorkerHost({ orchestrator, handleSignals: false, logger: { log: () => {} }, retention: { olderThanMs: HOUR, sagas: { order: false }, intervalMs: 50 } });
    await host.start();
    for (let i = 0; i < 200 && (await repository.findByCorrelation('archive', 'old')) !== null; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await repository.findByCorrelation('archive', 'old')).toBeNull();
    await host.stop();
  });
});

describe('CLI and API', () => {
  it('prints stuck instances, search results with the total, and purge reports', async () => {
    const io = capturingIo();
    expect(await stuckCommand(later, { failIfAny: true }, io)).toBe(3);
    expect(io.stdout()).toContain(seeded.transfer);
    expect(io.stdout()).toMatch(/compensation_failed/);
    const search = capturingIo();
    await searchCommand(later, { where: ['data.total >= 12', 'data.customerId = dave'] }, search);
    expect(search.stdout()).toMatch(/^1 instance match/);
    await finished(repository, 'old', 40 * 24 * HOUR);
    const dry = capturingIo();
    await purgeCommand(later, { olderThanMs: 30 * 24 * HOUR, saga: 'archive', dryRun: true }, dry);
    expect(dry.stdout()).toMatch(/would remove 1 finished instance of saga 'archive'/);
    const real = capturingIo();
    await purgeCommand(later, { olderThanMs: 30 * 24 * HOUR, json: true }, real);
    expect(JSON.parse(real.stdout())).toMatchObject({ dryRun: false, instances: 1 });
    const usage = capturingIo();
    expect(await runCli(['purge'], usage)).toBe(2);
    expect(usage.stderr()).toMatch(/--older-than/);
  });

  it('answers the finding routes, and 400 with SAGA_FILTER_INVALID for a bad condition', async () => {
    const api = createSagaflowApi(later, { dashboard: false });
    const get = async (path: string) => {
      const response = await api.request(path);
      return { status: response.status, body: (await response.json()) as any };
    };
    const search = await get(`/api/search?where=${encodeURIComponent('data.customerId = dave')}&where=${encodeURIComponent('data.total > 10')}`);
    expect(search.status).toBe(200);
    expect(search.body.total).toBe(1);
    expect((await get('/api/stuck')).body.counts).toContainEqual({ sagaName: 'transfer', kind: 'compensation_failed', count: 1 });
    expect((await get('/api/dead-letters/counts')).body.total).toBe(2);
    expect((await get('/api/throughput?windowMs=7200000')).body.sagas).toHaveLength(2);
    const bad = await get(`/api/search?where=${encodeURIComponent("data.x') OR 1=1 -- = 1")}`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('SAGA_FILTER_INVALID');
    expect((await get('/api/stuck?limit=0')).status).toBe(400);
    await api.close();
    // The server's own thresholds: orders may wait three hours for payment.
    const lenient = createSagaflowApi(later, { dashboard: false, stuckPolicy: { sagas: { order: { states: { AwaitingPayment: 3 * HOUR } } } } });
    const items = ((await (await lenient.request('/api/stuck')).json()) as any).items.map((i: { correlationId: string }) => i.correlationId);
    expect(items).toContain(seeded.transfer);
    expect(items).not.toContain(seeded.waiting);
    await lenient.close();
  });
});
