/** A worker process for the SIGTERM test: handles one message, then waits for a signal. */
import { z } from 'zod';
import { createEnvelope, defineEvent, defineSaga, InProcessBus, SagaOrchestrator, WorkerHost } from '../../src/index.ts';

const Ping = defineEvent('Ping', z.object({}));
const Saga = defineSaga('pinger', { data: z.object({}), states: ['Pinged'] }).initially((s) => s.when(Ping).transitionTo('Pinged'));
const bus = new InProcessBus();
const host = new WorkerHost({ orchestrator: new SagaOrchestrator({ sagas: [Saga], bus, subscribe: false }), name: 'sigterm-test' });
await host.start();
await bus.publish(createEnvelope('event', 'Ping', {}, { correlationId: 'p-1' }));
// Keep the process alive until the host has stopped on SIGTERM (its signal handler calls stop()).
const alive = setInterval(() => {}, 1_000);
await new Promise<void>((resolve) => {
  const poll = setInterval(() => {
    if (host.status === 'stopped') {
      clearInterval(poll);
      clearInterval(alive);
      resolve();
    }
  }, 10);
});
