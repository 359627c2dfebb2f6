/**
 * @module bench/schedules
 * Lag between a schedule's due time and its delivery, at a fixed rate of new schedules. Each instance
 * schedules one event 200 ms ahead when it starts; the handler measures how late it arrived
 * (`Date.now() - dueAt`). Instances start at `rate` per second, in steps of 10 ms, for `seconds`, on the
 * system clock, with the orchestrator's own relay (`start()`), as in production.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { defineEvent, defineSaga, InMemorySagaRepository, SagaOrchestrator, type SagaRepository } from '../src/index.ts';
import { result, type BenchResult } from './report.ts';

const Start = defineEvent('BenchTimerStart', z.object({ id: z.string() }));
const Fire = defineEvent('BenchTimerFire', z.object({ dueAt: z.number() }));
const DELAY_MS = 200;

function timerSaga(lags: number[]) {
  return defineSaga('bench-timer', { data: z.object({}), states: ['Waiting'] })
    .initially((s) =>
      s
        .when(Start)
        .then((ctx) => ctx.schedule(Fire, { dueAt: Date.now() + DELAY_MS }, { delayMs: DELAY_MS }))
        .transitionTo('Waiting'),
    )
    .during('Waiting', (s) =>
      s
        .when(Fire)
        .then((ctx) => void lags.push(Date.now() - ctx.event.dueAt))
        .finalize(),
    );
}

export async function benchScheduleLag(
  label: string,
  repository: SagaRepository,
  options: { rate: number; seconds: number },
): Promise<BenchResult> {
  const lags: number[] = [];
  const orchestrator = new SagaOrchestrator({
    sagas: [timerSaga(lags)],
    repository,
    relay: { batchSize: 200, concurrency: 32, pollIntervalMs: 1_000 },
    onError: (error) => console.error(error),
  });
  await orchestrator.start();
  const total = options.rate * options.seconds;
  const perStep = Math.max(1, Math.round(options.rate / 100));
  const start = performance.now();
  const starting: Promise<unknown>[] = [];
  let started = 0;
  const run = `${Date.now().toString(36)}`;
  while (started < total) {
    // Keep to the rate: start what is due by now, then wait for the next 10 ms step.
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * options.rate) + perStep);
    for (; started < due; started++) starting.push(orchestrator.publish(Start, { id: `${run}-${started}` }, { correlationId: `${run}-${started}` }));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(starting);
  const createdMs = performance.now() - start;
  const deadline = Date.now() + 30_000;
  while (lags.length < total && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await orchestrator.close();
  if (lags.length < total) throw new Error(`${label}: only ${lags.length} of ${total} schedules fired within 30 s`);
  lags.sort((a, b) => a - b);
  const at = (p: number) => lags[Math.min(lags.length - 1, Math.floor(lags.length * p))]!;
  return {
    ...result(`schedule lag, ${label} (${options.rate} schedules/s for ${options.seconds} s)`, total, createdMs),
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    max_ms: lags[lags.length - 1],
    achieved_rate: Math.round((total * 1000) / createdMs),
  };
}

export function benchScheduleLagInMemory(): Promise<BenchResult> {
  return benchScheduleLag('in memory', new InMemorySagaRepository(), { rate: 1_000, seconds: 5 });
}
