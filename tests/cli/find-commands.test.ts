/**
 * `sagaflow stuck`, `search` and `purge` through the whole parser, in process, on real PostgreSQL.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { capturingIo } from '../../src/cli/io.ts';
import { runCli } from '../../src/cli/program.ts';
import type { PrismaSagaRepository } from '../../src/prisma/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';
import { insertOf, makeInstance, updateOf } from '../helpers/records.ts';
import { seed, type Seeded } from '../ops/fixtures.ts';

const db = useTestDatabase();
let repository: PrismaSagaRepository;
let seeded: Seeded;

beforeAll(async () => {
  repository = await db.repository({ cache: false });
  seeded = await seed(repository);
});

async function cli(...args: string[]) {
  const io = capturingIo({ DATABASE_URL: db.url });
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('sagaflow stuck, search and purge', () => {
  it('reports the failed compensation as stuck, and exits 3 with --fail-if-any', async () => {
    const stuck = await cli('stuck', '--json');
    expect(stuck.code).toBe(0);
    const report = JSON.parse(stuck.stdout) as { total: number; items: Array<{ correlationId: string; kind: string }> };
    expect(report.items).toContainEqual(expect.objectContaining({ correlationId: seeded.transfer, kind: 'compensation_failed' }));
    expect(report.items.map((i) => i.correlationId)).not.toContain(seeded.waiting); // minutes old, not an hour
    expect((await cli('stuck', '--fail-if-any')).code).toBe(3);
    expect((await cli('stuck', '--threshold', 'order')).code).toBe(2);
  });

  it('searches by data with the total, and refuses a bad condition with its code', async () => {
    const found = await cli('search', '--where', 'data.customerId = dave', '--json');
    expect(JSON.parse(found.stdout)).toMatchObject({ total: 1, items: [{ correlationId: seeded.waiting }] });
    const table = await cli('search', '--saga', 'order', '--where', 'data.total >= 0', '--limit', '2');
    expect(table.stdout).toMatch(/^\d+ instances match\n/);
    expect(table.stdout).toMatch(/more: add --cursor /);
    const bad = await cli('search', '--where', "data.x'; DROP TABLE sagaflow_instances; -- = 1");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/SAGA_FILTER_INVALID/);
    expect(await repository.countInstances()).toBeGreaterThan(0);
  });

  it('counts dead letters by group and reports the last hour per saga', async () => {
    const counts = JSON.parse((await cli('dead-letters', 'counts', '--json')).stdout) as { total: number; groups: Array<{ count: number }> };
    expect(counts.total).toBe(2);
    expect(counts.groups.reduce((n, g) => n + g.count, 0)).toBe(2);
    expect((await cli('dead-letters', 'counts')).stdout).toMatch(/^REASON\s+TYPE\s+SAGA\s+COUNT\n/);
    const hour = JSON.parse((await cli('throughput', '--json')).stdout) as { sagas: Array<{ sagaName: string; applied: number; failed: number }> };
    expect(hour.sagas.find((s) => s.sagaName === 'transfer')).toMatchObject({ applied: 2, failed: 1 });
    expect((await cli('throughput', '--window', '30d')).code).toBe(2); // more than 7 days: a usage mistake
  });

  it('purges finished instances older than the age, after a dry run that removes nothing', async () => {
    const when = new Date(Date.now() - 40 * 86_400_000);
    const first = makeInstance({ sagaName: 'archive', correlationId: 'very-old', createdAt: when, updatedAt: when });
    await repository.commit(insertOf(first));
    await repository.commit(updateOf(first, { status: 'completed', completedAt: when, updatedAt: when }).commit);
    const dry = await cli('purge', '--older-than', '30d', '--dry-run');
    expect(dry.stdout).toMatch(/^would remove 1 finished instance of all sagas/);
    expect(await repository.findByCorrelation('archive', 'very-old', { fresh: true })).not.toBeNull();
    const real = await cli('purge', '--older-than', '30d', '--json');
    expect(JSON.parse(real.stdout)).toMatchObject({ dryRun: false, instances: 1, rules: [{ saga: null, history: 2 }] });
    expect(await repository.findByCorrelation('archive', 'very-old', { fresh: true })).toBeNull();
    expect((await cli('purge', '--older-than', 'soon')).code).toBe(2);
  });
});
