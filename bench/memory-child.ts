/**
 * @module bench/memory-child
 *
 * The in-memory realistic workloads, each in a process of its own (`bench/memory-realistic.ts` spawns
 * it with `--expose-gc`), so that one workload's heap is not another's: the account saga on
 * `InMemorySagaRepository`, `live` accounts opened first through the orchestrator, then `Deposited`
 * events to accounts chosen uniformly at random. Prints one JSON line.
 *
 *   node --expose-gc --import tsx bench/memory-child.ts scale <live> <seconds>
 *   node --expose-gc --import tsx bench/memory-child.ts open-loop <live> <seconds>
 */
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { InMemorySagaRepository, SagaOrchestrator, SagaStatus, uuidv7 } from '../src/index.ts';
import { AccountSaga, accountId, openedData } from './account-saga.ts';
import { closedLoop, depositToRandom, random } from './cold-workload.ts';
import { openLoop } from './open-loop.ts';

const [mode, liveArg, secondsArg] = process.argv.slice(2);
const live = Number(liveArg);
const seconds = Number(secondsArg);
/** Events in flight in the closed loop: enough to keep one core busy. */
const IN_FLIGHT = 16;
/** Closed-loop time before the open loop's peak is measured. */
const WARM_UP_MS = 10_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

/** Bytes in use after a full collection: the heap, plus buffers outside it (the store keeps history rows there). */
function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc!();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

const repository = new InMemorySagaRepository();
const orchestrator = new SagaOrchestrator({ sagas: [AccountSaga], repository });

/**
 * Accounts from … to-1, committed straight into the repository as `AccountOpened` leaves them (the
 * record and its first history row): the orchestrator would take minutes for a million, and the
 * workload measures the events after, not the opening.
 */
async function open(from: number, to: number): Promise<void> {
  for (let n = from; n < to; n++) {
    const at = new Date();
    const instance = {
      id: uuidv7(at.getTime()),
      sagaName: AccountSaga.name,
      correlationId: accountId(n),
      state: 'Open',
      data: openedData(n),
      dataVersion: 1,
      version: 1,
      status: SagaStatus.Active,
      compensation: [],
      error: null,
      createdAt: at,
      updatedAt: at,
      completedAt: null,
    };
    const history = {
      instanceId: instance.id,
      sequence: 1,
      messageId: uuidv7(at.getTime()),
      eventType: 'AccountOpened',
      stateBefore: null,
      stateAfter: 'Open',
      payload: { accountId: instance.correlationId, owner: instance.data.owner, currency: 'EUR' },
      at,
    };
    await repository.commit({ kind: 'insert', instance, history });
  }
}

/** Milliseconds of garbage collection while `fn` runs. */
async function withGcTime<T>(fn: () => Promise<T>): Promise<{ value: T; gcMs: number; scavengeMs: number }> {
  let gcMs = 0;
  let scavengeMs = 0;
  const start = performance.now();
  let end = Infinity;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.startTime < start || entry.startTime >= end) continue;
      gcMs += entry.duration;
      if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavengeMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const value = await fn();
  end = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50)); // entries are delivered asynchronously
  observer.disconnect();
  return { value, gcMs, scavengeMs };
}

async function scale(): Promise<Record<string, unknown>> {
  const before = heapAfterGc();
  const t0 = performance.now();
  await open(0, live);
  const openMs = performance.now() - t0;
  const withInstances = heapAfterGc();
  // The data alone, as many copies as instances, to tell the store's own cost from what it stores.
  const copies = Array.from({ length: live }, (_, n) => JSON.parse(JSON.stringify(openedData(n))) as unknown);
  const withCopies = heapAfterGc();
  const perInstance = (withInstances - before) / live;
  const perData = (withCopies - withInstances) / copies.length;
  copies.length = 0;
  const next = random(11);
  const warm = await closedLoop(IN_FLIGHT, 1000, () => depositToRandom(orchestrator, live, next));
  const { value: run, gcMs, scavengeMs } = await withGcTime(() => closedLoop(IN_FLIGHT, seconds * 1000, () => depositToRandom(orchestrator, live, next)));
  // What the store keeps per applied event (its history row, mostly), on the heap and in buffers.
  const perEvent = (heapAfterGc() - withInstances) / (warm.events + run.events);
  return {
    live,
    events: run.events,
    seconds: +(run.ms / 1000).toFixed(3),
    ops_per_sec: Math.round((run.events * 1000) / run.ms),
    gc_share: Math.round((gcMs / run.ms) * 1000) / 1000,
    // Young-generation collections (scavenges) apart: their cost follows what each event allocates and keeps, the rest the heap's size.
    scavenge_share: Math.round((scavengeMs / run.ms) * 1000) / 1000,
    heap_mb: Math.round(withInstances / 1e6),
    bytes_per_instance: Math.round(perInstance),
    data_bytes_per_instance: Math.round(perData),
    bytes_per_instance_beyond_data: Math.round(perInstance - perData),
    open_per_sec: Math.round((live * 1000) / openMs),
    bytes_per_event: Math.round(perEvent),
  };
}

async function openLoopRun(): Promise<Record<string, unknown>> {
  await open(0, live);
  const next = random(13);
  // The peak is what the process sustains once its heap is in its steady state (after its first major
  // collections): a fresh heap runs some 40 % faster for its first seconds, and half of that transient
  // peak is most of what the process can hold for 20 s.
  await closedLoop(IN_FLIGHT, WARM_UP_MS, () => depositToRandom(orchestrator, live, next));
  const peak = await closedLoop(IN_FLIGHT, 5000, () => depositToRandom(orchestrator, live, next));
  const peakRate = (peak.events * 1000) / peak.ms;
  const result = await openLoop({ rate: peakRate / 2, seconds }, () => depositToRandom(orchestrator, live, next));
  return { live, peak_ops_per_sec: Math.round(peakRate), ...result };
}

const output = mode === 'scale' ? await scale() : await openLoopRun();
await orchestrator.close();
process.stdout.write(`${JSON.stringify(output)}\n`);
