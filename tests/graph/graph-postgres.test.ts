/**
 * A dependency graph on real PostgreSQL across a restart: the process that started it stops after the
 * first step while the second step's command is lost (nobody listened); a new process on the same
 * database picks the run up from the store alone: the step's durable timeout fires, the step is retried
 * under its own policy and completes, and the whole run is in the instance's history.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineGraph, SagaOrchestrator } from '../../src/index.ts';
import { useTestDatabase } from '../helpers/postgres.ts';

const Prepare = defineCommand('Prepare', z.object({ id: z.string() }), { output: z.object({ token: z.string() }) });
const Publish = defineCommand('Publish', z.object({ token: z.string() }), { output: z.object({ url: z.string() }) });
const Release = defineGraph('release', { input: z.object({ id: z.string() }) })
  .step('prepare', { command: Prepare, input: ({ input }) => ({ id: input.id }) })
  .step('publish', {
    command: Publish,
    dependsOn: ['prepare'],
    timeoutMs: 300,
    retry: { maxRetries: 1, initialDelayMs: 10 },
    input: ({ results }) => ({ token: results.prepare.token }),
  });

const db = useTestDatabase();

async function open() {
  const repository = await db.repository({ poolSize: 4 });
  return repository;
}

describe('dependency graphs on PostgreSQL', () => {
  it('resumes a run in a new process from the store: timeout, retry, completion, all journaled', async () => {
    const first = new SagaOrchestrator({ sagas: [Release.saga], repository: await open(), onError: () => {} });
    first.handle(Prepare, (input) => ({ token: `tok-${input.id}` })); // no Publish handler here: that command is lost
    await first.publish(Release.start, { id: 'r-1' }, { correlationId: 'r-1' });
    await first.idle();
    const halfway = await first.find(Release.saga, 'r-1');
    expect(halfway).toMatchObject({ state: 'Running', data: { done: ['prepare'], running: ['publish'] } });
    await first.close();

    const published: string[] = [];
    const second = new SagaOrchestrator({ sagas: [Release.saga], repository: await open(), onError: () => {} });
    second.handle(Prepare, () => ({ token: 'never' })).handle(Publish, (input) => (published.push(input.token), { url: `https://x/${input.token}` }));
    await second.start(); // its relay delivers what is due from the store: the step's timeout, then the retry
    const deadline = Date.now() + 20_000;
    let run = await second.find(Release.saga, 'r-1');
    while (run?.state !== 'Completed' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      run = await second.find(Release.saga, 'r-1');
    }
    expect(run).toMatchObject({ state: 'Completed', status: 'completed', data: { results: { publish: { url: 'https://x/tok-r-1' } }, attempts: { prepare: 1, publish: 2 } } });
    expect(published).toEqual(['tok-r-1']);
    const journal = (await second.repository.history(run!.id)).map((h) => h.eventType);
    expect(journal).toEqual(['release.Start', 'Prepare.Completed', 'Publish.TimedOut', 'release.RetryStep', 'Publish.Completed']);
    await second.close();
  });
});
