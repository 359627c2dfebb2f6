/**
 * A worker whose store goes away: `/health` answers 503 (not ready) from the first write that found it
 * unreachable until one lands again, the outage is logged once each way rather than once per message,
 * and it resumes by itself.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEnvelope, defineEvent, defineSaga, InProcessBus, SagaOrchestrator, TransientStoreError, WorkerHost, type LogFields, type Logger } from '../../src/index.ts';
import { outageRepository } from '../helpers/outage-repository.ts';

const Ping = defineEvent('Ping', z.object({}));
const Saga = defineSaga('pinged', { data: z.object({}), states: ['Seen'] }).initially((s) => s.when(Ping).transitionTo('Seen'));
const ping = (id: string) => createEnvelope('event', Ping.name, {}, { correlationId: id });

describe('a worker through a store outage', () => {
  it('answers not ready and logs the outage once while the store is down, and is ready again by itself', async () => {
    const { repository, control } = outageRepository();
    const lines: Array<{ level: string } & LogFields> = [];
    const logger: Logger = { log: (level, fields) => void lines.push({ level, ...fields }) };
    const bus = new InProcessBus();
    const orchestrator = new SagaOrchestrator({ sagas: [Saga], bus, repository, subscribe: false, logger, relay: false });
    const host = new WorkerHost({ orchestrator, logger, handleSignals: false, health: { port: 0 } });
    await host.start();
    const health = async () => {
      const response = await fetch(`http://127.0.0.1:${host.healthPort}/health`);
      return { status: response.status, body: (await response.json()) as { ready: boolean; storeAvailable: boolean } };
    };
    try {
      await bus.publish(ping('a'));
      expect((await health()).status).toBe(200);

      control.down.add('*');
      const failures = await Promise.all(Array.from({ length: 8 }, (_, k) => bus.publish(ping(`down-${k}`)).catch((e: unknown) => e)));
      // Each message fails fast with the store's typed error, for the transport to redeliver.
      expect(failures.every((e) => e instanceof TransientStoreError)).toBe(true);
      expect(await health()).toMatchObject({ status: 503, body: { ready: false, storeAvailable: false } });
      expect(lines.filter((l) => l.msg === 'store unavailable')).toHaveLength(1);
      expect(lines.filter((l) => l.msg === 'failed, left for redelivery')).toHaveLength(0);

      control.down.clear();
      await bus.publish(ping('b'));
      expect(await health()).toMatchObject({ status: 200, body: { ready: true, storeAvailable: true } });
      expect(lines.filter((l) => l.msg === 'store available again')).toHaveLength(1);
      expect(lines.filter((l) => l.msg === 'store unavailable')).toHaveLength(1);
    } finally {
      await host.stop();
    }
  });

  it('backs off rather than polling a dead store, reports it once, and resumes delivering by itself', async () => {
    const { repository, control } = outageRepository();
    const errors: unknown[] = [];
    const lines: string[] = [];
    const logger: Logger = { log: (_level, fields) => void lines.push(String(fields.msg)) };
    const orchestrator = new SagaOrchestrator({ sagas: [Saga], repository, relay: { pollIntervalMs: 10 }, onError: (e) => errors.push(e), logger });
    await orchestrator.start();
    try {
      control.down.add('*');
      await new Promise((r) => setTimeout(r, 1_000));
      // Polling every 10 ms would have made ~100 passes; backing off (25–50 ms, doubling) makes a handful.
      const passes = control.failed.claimOutbox ?? 0;
      expect(passes).toBeGreaterThanOrEqual(3);
      expect(passes).toBeLessThan(15);
      expect(errors).toEqual([]);
      expect(lines.filter((l) => l === 'store unavailable')).toHaveLength(1);
      control.down.clear();
      await repository.stageOutbox([{ id: '0190a6d2-7e1c-7b3e-9a4f-2f6c1d0e8b12', envelope: ping('late'), availableAt: new Date() }]);
      for (const deadline = Date.now() + 5_000; (await orchestrator.find(Saga, 'late')) === null && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await orchestrator.find(Saga, 'late')).toMatchObject({ state: 'Seen' });
      expect(orchestrator.storeAvailable).toBe(true);
      expect(lines.filter((l) => l === 'store available again')).toHaveLength(1);
    } finally {
      await orchestrator.close();
    }
  });
});
