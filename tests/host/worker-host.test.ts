import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConcurrencyLimit,
  createEnvelope,
  defineEvent,
  defineSaga,
  InMemorySagaRepository,
  InProcessBus,
  SagaOrchestrator,
  WorkerHost,
  WorkerStoppingError,
  type LogFields,
  type Logger,
} from '../../src/index.ts';

const Work = defineEvent('Work', z.object({ ms: z.number() }));

function setup(options: { concurrency?: number; shutdownTimeoutMs?: number; health?: { port: number } } = {}) {
  let running = 0;
  let peak = 0;
  const Saga = defineSaga('job', { data: z.object({ done: z.number().default(0) }), states: ['Running'] })
    .initially((s) =>
      s
        .when(Work)
        .then(async (ctx) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, ctx.event.ms));
          running--;
          ctx.data.done = 1;
        })
        .transitionTo('Running'),
    );
  const bus = new InProcessBus();
  const repository = new InMemorySagaRepository();
  const orchestrator = new SagaOrchestrator({ sagas: [Saga], bus, repository, subscribe: false });
  const lines: Array<{ level: string } & LogFields> = [];
  const logger: Logger = { log: (level, fields) => void lines.push({ level, ...fields }) };
  const host = new WorkerHost({ orchestrator, logger, handleSignals: false, name: 'w-test', ...options });
  return { host, bus, repository, orchestrator, lines, peak: () => peak, Saga };
}

const work = (id: string, ms: number) => createEnvelope('event', Work.name, { ms }, { correlationId: id, messageId: `m-${id}` });

describe('WorkerHost', () => {
  it('handles messages from the bus under its concurrency limit, logging each with saga, correlation and message id', async () => {
    const { host, bus, lines, peak } = setup({ concurrency: 3 });
    await host.start();
    expect(host.status).toBe('running');
    await Promise.all(Array.from({ length: 12 }, (_, i) => bus.publish(work(`j-${i}`, 5))));
    expect(peak()).toBe(3);
    const handled = lines.filter((l) => l.msg === 'handled');
    expect(handled).toHaveLength(12);
    expect(handled[0]).toMatchObject({ level: 'info', worker: 'w-test', saga: 'job', type: 'Work', result: 'applied', state: 'Running' });
    expect(new Set(handled.map((l) => l.messageId)).size).toBe(12);
    expect(handled.every((l) => typeof l.correlationId === 'string' && typeof l.ms === 'number')).toBe(true);
    expect(host.health()).toMatchObject({ status: 'running', handled: 12, inFlight: 0 });
    await host.stop();
  });

  it('logs a dead letter once: itself when the orchestrator has no logger, else leaving it to the orchestrator', async () => {
    const bad = () => createEnvelope('event', Work.name, { ms: 'not a number' }, { correlationId: 'bad' });
    for (const orchestratorLogs of [false, true]) {
      const lines: Array<{ level: string } & LogFields> = [];
      const logger: Logger = { log: (level, fields) => void lines.push({ level, ...fields }) };
      const bus = new InProcessBus();
      const Saga = defineSaga('job', { data: z.object({}), states: ['Running'] }).initially((s) => s.when(Work).transitionTo('Running'));
      const orchestrator = new SagaOrchestrator({ sagas: [Saga], bus, subscribe: false, ...(orchestratorLogs && { logger }) });
      const host = new WorkerHost({ orchestrator, bus, logger, handleSignals: false, name: 'w-dl' });
      await host.start();
      await bus.publish(bad());
      const deadLettered = lines.filter((l) => l.msg === 'dead-lettered');
      expect(deadLettered, `orchestrator logs: ${orchestratorLogs}`).toHaveLength(1);
      expect(deadLettered[0]).toMatchObject({ level: 'warn', reason: 'invalid-payload', type: 'Work' });
      expect(host.health()).toMatchObject({ deadLettered: 1 });
      await host.stop();
    }
  });

  it('drains on stop: refuses new messages, finishes the ones in flight, then stops', async () => {
    const { host, bus, repository } = setup({ concurrency: 4 });
    await host.start();
    const inFlight = [bus.publish(work('slow-1', 80)), bus.publish(work('slow-2', 80))];
    await new Promise((resolve) => setTimeout(resolve, 10));
    const stopping = host.stop('test');
    expect(host.status).toBe('stopping');
    await expect(bus.publish(work('late', 1))).resolves.toBeUndefined(); // unsubscribed: nobody takes it
    const report = await stopping;
    await Promise.all(inFlight);
    expect(report).toEqual({ drained: 2, abandoned: 0 });
    expect(host.status).toBe('stopped');
    expect((await repository.findByCorrelation('job', 'slow-1'))?.state).toBe('Running');
    expect(await repository.findByCorrelation('job', 'late')).toBeNull();
    expect(await host.stop()).toBe(report); // idempotent
  });

  it('gives up waiting at the deadline and reports what it abandoned', async () => {
    const { host, bus, lines } = setup({ shutdownTimeoutMs: 30 });
    await host.start();
    const slow = bus.publish(work('very-slow', 300));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await host.stop()).toEqual({ drained: 0, abandoned: 1 });
    expect(lines.at(-1)).toMatchObject({ msg: 'worker stopped', abandoned: 1 });
    await slow;
  });

  it('refuses a message that reaches it while draining with a typed error', async () => {
    // A transport may hand over a message it had already fetched after stop() began.
    let handler: ((e: ReturnType<typeof work>) => Promise<void>) | undefined;
    const transport = {
      publish: async () => {},
      subscribe: (_type: string, h: (e: never) => Promise<void>) => {
        handler = h as never;
        return () => {};
      },
    };
    const { orchestrator } = setup();
    const host = new WorkerHost({ orchestrator, bus: transport, handleSignals: false, logger: { log() {} } });
    await host.start();
    const stopping = host.stop();
    await expect(handler!(work('x', 1))).rejects.toBeInstanceOf(WorkerStoppingError);
    await stopping;
  });

  it('serves GET /health: 200 while running, 503 after stop', async () => {
    const { host } = setup({ health: { port: 0 } });
    await host.start();
    const url = `http://127.0.0.1:${host.healthPort}/health`;
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'running', ready: true, worker: 'w-test', inFlight: 0 });
    expect((await fetch(`http://127.0.0.1:${host.healthPort}/nope`)).status).toBe(404);
    await host.stop();
    await expect(fetch(url)).rejects.toThrow(); // closed with the host
  });

  it('is not ready while its transport has lost the broker', async () => {
    const transport = { connected: true, publish: async () => {}, subscribe: () => () => {} };
    const { orchestrator } = setup();
    const host = new WorkerHost({ orchestrator, bus: transport, handleSignals: false, logger: { log() {} } });
    await host.start();
    expect(host.health()).toMatchObject({ ready: true, transportConnected: true });
    transport.connected = false;
    expect(host.health()).toMatchObject({ status: 'running', ready: false, transportConnected: false });
    await host.stop();
  });

  it('will not share a bus subscription with an orchestrator that subscribed itself', () => {
    const orchestrator = new SagaOrchestrator({ sagas: [setup().Saga] });
    expect(() => new WorkerHost({ orchestrator })).toThrow(/subscribe: false/);
  });

  it('limits concurrency in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4, 5].map((n) => limit.run(async () => {
      order.push(n);
      await new Promise((resolve) => setTimeout(resolve, 5));
    })));
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(limit.active).toBe(0);
    expect(() => new ConcurrencyLimit(0)).toThrow(RangeError);
  });

  it('stops gracefully on SIGTERM in a real process', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/host/sigterm-worker.ts'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"worker started"') && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const logs = out.trim().split('\n').map((l) => JSON.parse(l) as LogFields);
    expect(code).toBe(0);
    expect(logs.map((l) => l.msg)).toEqual(['worker started', 'handled', 'worker stopping', 'worker stopped']);
    expect(logs[2]).toMatchObject({ reason: 'SIGTERM' });
    expect(logs[3]).toMatchObject({ drained: 0, abandoned: 0 });
  }, 20_000);
});
