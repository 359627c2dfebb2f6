/**
 * Evolving a saga with instances in flight, on PostgreSQL, through the real CLI: version-1 shipments in
 * every state; version 2 renames `Packing` to `Preparing`, drops the `unpack` step and keeps the amount in
 * cents. `sagaflow check` refuses the new code without migrations and passes it with them;
 * `sagaflow instances migrate` runs while two worker processes keep applying events to the same
 * instances; the lazy path leaves what the eager one leaves; an old worker refuses a migrated instance.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SagaOrchestrator, SagaVersionNewerError, type SagaRepository } from '../../src/index.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { Cancel, Note, Packed, Paid, Placed } from './fixtures/events.ts';
import { ShipmentV1 } from './fixtures/v1.ts';
import { ShipmentV2 } from './fixtures/v2.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const V1 = 'tests/evolution/fixtures/v1.ts';
const V2 = 'tests/evolution/fixtures/v2.ts';
const V2_UNMIGRATED = 'tests/evolution/fixtures/v2-unmigrated.ts';

let db: TestDatabase;
let raceDb: TestDatabase;
let repository: PrismaSagaRepository;

/** Creates version-1 shipments: `prefix-<state>` in each live state, plus a delivered and a cancelled one. */
async function seed(repo: SagaRepository, prefix: string, amount = 12.5): Promise<Record<string, string>> {
  const o = new SagaOrchestrator({ sagas: [ShipmentV1], repository: repo, relay: false, startupCheck: 'off' });
  const ids = { waiting: `${prefix}-waiting`, packing: `${prefix}-packing`, shipping: `${prefix}-shipping`, delivered: `${prefix}-delivered`, cancelled: `${prefix}-cancelled` };
  for (const orderId of Object.values(ids)) await o.publish(Placed, { orderId, amount });
  for (const orderId of [ids.packing, ids.shipping, ids.delivered, ids.cancelled]) await o.publish(Paid, { orderId });
  for (const orderId of [ids.shipping, ids.delivered]) await o.publish(Packed, { orderId });
  await o.publish((await import('./fixtures/events.ts')).Delivered, { orderId: ids.delivered });
  await o.publish(Cancel, { orderId: ids.cancelled });
  await o.close();
  return ids;
}

function sagaflow(url: string, args: readonly string[], onStderrLine?: (line: string) => void) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], { cwd: root, env: { ...process.env, DATABASE_URL: url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (onStderrLine) createInterface({ input: child.stderr }).on('line', onStderrLine);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly stats: Promise<{ applied: number; errors: number }>;
}

function startWorker(url: string, ids: readonly string[], reverse: boolean): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/evolution/note-worker.ts'], {
    cwd: root,
    env: { ...process.env, EVO_DATABASE_URL: url, EVO_IDS: ids.join(','), EVO_REVERSE: reverse ? '1' : '0' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  let onReady!: () => void;
  let onStats!: (s: { applied: number; errors: number }) => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const stats = new Promise<{ applied: number; errors: number }>((r) => (onStats = r));
  lines.on('line', (line) => {
    if (line === 'EVO-READY') onReady();
    if (line.startsWith('EVO-STATS ')) onStats(JSON.parse(line.slice('EVO-STATS '.length)));
  });
  return { child, ready, stats };
}

beforeAll(async () => {
  [db, raceDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  repository = await createPrismaRepository({ databaseUrl: db.url, cache: false });
}, 60_000);

afterAll(async () => {
  await repository?.close();
  await Promise.all([db?.drop(), raceDb?.drop()]);
});

describe('evolving the shipment saga on PostgreSQL', { timeout: 120_000 }, () => {
  let main: Record<string, string>;
  let lazy: Record<string, string>;

  it('sagaflow check refuses version 2 without migrations, and passes it with them', async () => {
    main = await seed(repository, 'main');
    lazy = await seed(repository, 'lazy');
    const [unmigrated, migrated, old] = await Promise.all([
      sagaflow(db.url, ['check', '--sagas', V2_UNMIGRATED, '--json']),
      sagaflow(db.url, ['check', '--sagas', V2]),
      sagaflow(db.url, ['check', '--sagas', V1, '--json']),
    ]);
    expect(unmigrated.code).toBe(1);
    const report = JSON.parse(unmigrated.stdout);
    const byKind = Object.fromEntries(report.sagas[0].problems.map((p: { kind: string; count: number }) => [p.kind, p]));
    expect(report).toMatchObject({ ok: false, sagas: [{ saga: 'shipment', version: 1, live: 6, stranded: 6, byVersion: { 1: 6 } }] });
    expect(byKind['unknown-state']).toMatchObject({ count: 2, examples: [{ detail: 'Packing' }, { detail: 'Packing' }] });
    expect(byKind['missing-compensation']).toMatchObject({ count: 2, examples: [{ detail: 'unpack' }, { detail: 'unpack' }] });
    expect(byKind['invalid-data'].count).toBe(6);
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.stdout).toMatch(/shipment \(definition version 2\): 6 live \(v1: 6\), 0 stranded/);
    expect(old.code).toBe(0);
  });

  it('instances migrate --dry-run reports what would change and writes nothing', async () => {
    const dry = await sagaflow(db.url, ['instances', 'migrate', '--sagas', V2, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const out = JSON.parse(dry.stdout);
    expect(out).toMatchObject({ dryRun: true, sagas: [{ saga: 'shipment', toVersion: 2, migrated: 6, failed: 0 }] });
    const packing = out.sagas[0].samples.find((s: { correlationId: string }) => s.correlationId === main.packing);
    expect(packing.changes).toEqual([
      { kind: 'state', from: 'Packing', to: 'Preparing' },
      { kind: 'data', version: 2 },
    ]);
    const page = await repository.list({ sagaName: 'shipment', definitionVersion: 2 });
    expect(page.items).toHaveLength(0);
  });

  it('the lazy path (an event under version 2) leaves what instances migrate and the same event leave', async () => {
    const v2 = new SagaOrchestrator({ sagas: [ShipmentV2], repository, relay: false, startupCheck: 'off' });
    for (const key of ['waiting', 'packing', 'shipping']) await v2.publish(Note, { orderId: lazy[key]! });
    const eager = await sagaflow(db.url, ['instances', 'migrate', '--sagas', V2, '--batch', '2']);
    expect(eager.code).toBe(0);
    expect(eager.stdout).toMatch(/shipment: migrated 3 to version 2, skipped 0, failed 0/);
    expect(eager.stderr).toMatch(/shipment: migrated 2, skipped 0, failed 0 \(to version 2\)/); // progress after the first batch
    for (const key of ['waiting', 'packing', 'shipping']) await v2.publish(Note, { orderId: main[key]! });
    await v2.close();

    for (const key of ['waiting', 'packing', 'shipping']) {
      const [l, e] = await Promise.all([repository.findByCorrelation('shipment', lazy[key]!), repository.findByCorrelation('shipment', main[key]!)]);
      const shape = (r: typeof l) => ({
        state: r!.state,
        status: r!.status,
        dataVersion: r!.dataVersion,
        version: r!.version,
        data: { ...(r!.data as object), orderId: undefined },
        compensation: r!.compensation,
        schedules: (r!.schedules ?? []).map((s) => ({ key: s.key, type: s.type })),
      });
      expect(shape(l)).toEqual(shape(e));
      const events = async (r: typeof l) => (await repository.history(r!.id)).map((h) => h.eventType);
      expect(await events(l)).toEqual(await events(e));
      expect((await events(l)).filter((t) => t === 'sagaflow.migrated')).toHaveLength(1);
    }
    const shipping = (await repository.findByCorrelation('shipment', main.shipping!))!;
    expect(shipping).toMatchObject({ state: 'Shipping', dataVersion: 2, data: { amountCents: 1250, notes: 1 }, compensation: [{ name: 'refund' }] });
    const packing = (await repository.findByCorrelation('shipment', main.packing!))!;
    expect(packing.state).toBe('Preparing');
    // Finished instances are left as they were; the check passes now.
    expect((await repository.findByCorrelation('shipment', main.delivered!))!.dataVersion).toBe(1);
    expect((await sagaflow(db.url, ['check', '--sagas', V2])).code).toBe(0);
  });

  it('an old worker refuses a migrated instance and leaves it alone; show, list and check tell the version', async () => {
    const before = (await repository.findByCorrelation('shipment', main.packing!))!;
    const old = new SagaOrchestrator({ sagas: [ShipmentV1], repository, relay: false, startupCheck: 'off' });
    const error = await old.publish(Note, { orderId: main.packing! }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SagaVersionNewerError);
    expect(error).toMatchObject({ code: 'SAGA_VERSION_NEWER', instanceVersion: 2, definitionVersion: 1 });
    // From a transport: not dead-lettered, but thrown back for redelivery (to a worker on the new code).
    const envelope = { messageId: '019a0000-0000-7000-8000-000000000001', type: Note.name, kind: 'event', payload: { orderId: main.packing }, headers: {}, timestamp: new Date().toISOString() };
    await expect(old.receive(envelope)).rejects.toBeInstanceOf(SagaVersionNewerError);
    await old.close();
    expect((await repository.findByCorrelation('shipment', main.packing!))!.version).toBe(before.version);
    expect((await repository.listDeadLetters()).items).toHaveLength(0);

    const [show, list, check] = await Promise.all([
      sagaflow(db.url, ['show', main.packing!, '--saga', 'shipment']),
      sagaflow(db.url, ['list', '--saga', 'shipment', '--def-version', '2', '--json']),
      sagaflow(db.url, ['check', '--sagas', V1, '--json']),
    ]);
    expect(show.stdout).toMatch(/definition\s+version 2/);
    expect(show.stdout).toMatch(/sagaflow\.migrated\s+Packing -> Preparing/);
    expect(JSON.parse(list.stdout).items.map((i: { correlationId: string }) => i.correlationId).sort()).toEqual(
      [main.waiting, main.packing, main.shipping, lazy.waiting, lazy.packing, lazy.shipping].sort(),
    );
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout).sagas[0].problems).toMatchObject([{ kind: 'version-newer', count: 6 }]);
  });

  it('instances migrate while two workers apply events to the same instances: no event lost, none migrated twice', async () => {
    const race = await createPrismaRepository({ databaseUrl: raceDb.url, cache: false });
    try {
      const groups = await Promise.all(Array.from({ length: 20 }, (_, i) => seed(race, `r${i}`, i + 1)));
      const live = groups.flatMap((g) => [g.waiting!, g.packing!, g.shipping!]);
      const workers = [startWorker(raceDb.url, live, false), startWorker(raceDb.url, live, true)];
      await Promise.all(workers.map((w) => w.ready));
      // The workers start once the command has migrated its first batch: from then on both run at once.
      const migrating = sagaflow(raceDb.url, ['instances', 'migrate', '--sagas', V2, '--batch', '2', '--json'], (line) => {
        if (line.startsWith('shipment: migrated')) for (const w of workers) w.child.stdin!.write('go\n');
      });
      const migrate = await migrating;
      // Let the workers go on a little past the migration, then stop them.
      await new Promise((r) => setTimeout(r, 300));
      for (const w of workers) w.child.kill('SIGTERM');
      const stats = await Promise.all(workers.map((w) => w.stats));
      expect(migrate.code).toBe(0);
      const report = JSON.parse(migrate.stdout).sagas[0];
      expect(report.failed).toBe(0);
      // Some by the command, the others lazily by a worker first (found migrated, or not listed any more).
      expect(report.migrated).toBeGreaterThanOrEqual(2);
      expect(report.migrated + report.skipped).toBeLessThanOrEqual(live.length);
      console.log(`race: ${report.migrated} migrated by the command, ${report.skipped} found migrated; workers applied ${stats.map((s) => s.applied).join(' + ')}`);
      expect(stats.every((s) => s.errors === 0)).toBe(true);

      let notes = 0;
      let noteRows = 0;
      for (const correlationId of live) {
        const r = (await race.findByCorrelation('shipment', correlationId))!;
        expect(r.dataVersion).toBe(2);
        const history = await race.history(r.id);
        expect(history.filter((h) => h.eventType === 'sagaflow.migrated')).toHaveLength(1);
        expect(history.map((h) => h.sequence)).toEqual(history.map((_, i) => i + 1));
        notes += (r.data as { notes: number }).notes;
        noteRows += history.filter((h) => h.eventType === Note.name).length;
      }
      const applied = stats.reduce((sum, s) => sum + s.applied, 0);
      expect(applied).toBeGreaterThan(live.length);
      expect(notes).toBe(applied);
      expect(noteRows).toBe(applied);
    } finally {
      await race.close();
    }
  });
});
