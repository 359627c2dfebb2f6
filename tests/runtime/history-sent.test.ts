import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InMemorySagaRepository, SagaOrchestrator, defineCommand, defineCompensation, defineEvent, defineSaga } from '../../src/index.ts';

const Started = defineEvent('Started', z.object({}));
const Fail = defineEvent('Fail', z.object({}));
const Reminder = defineEvent('Reminder', z.object({}));
const Notice = defineEvent('Notice', z.object({ n: z.number() }));
const DoWork = defineCommand('DoWork', z.object({ n: z.number() }));
const Undo = defineCompensation('undo', z.object({}));

const saga = defineSaga('timeline', { data: z.object({}), states: ['Running', 'Failed'] })
  .initially((s) =>
    s
      .when(Started)
      .then((ctx) => ctx.compensation.add(Undo, {}))
      .send(DoWork, { n: 1 })
      .publish(Notice, { n: 2 })
      .schedule(Reminder, {}, { delayMs: 60_000 })
      .transitionTo('Running'),
  )
  .during('Running', (s) => s.when(Fail).compensate().transitionTo('Failed').finalize().ignore(Reminder))
  .compensation(Undo, (_args, ctx) => ctx.publish(Notice, { n: 3 }));

describe('the history records what each write sent', () => {
  it('lists sent commands, published events and schedules on the transition, and compensation messages on the step', async () => {
    const repository = new InMemorySagaRepository();
    const orchestrator = new SagaOrchestrator({ sagas: [saga], repository });
    const bus = orchestrator.bus;
    bus.subscribe('*', () => {}); // someone listens, so outgoing messages are staged and delivered
    await orchestrator.publish(Started, {}, { correlationId: 'c-1' });
    await orchestrator.publish(Fail, {}, { correlationId: 'c-1' });
    await orchestrator.idle();
    const instance = (await repository.findByCorrelation('timeline', 'c-1'))!;
    const history = await repository.history(instance.id);
    expect(history.map((h) => h.eventType)).toEqual(['Started', 'Fail', 'sagaflow.compensation.step']);
    expect(history[0]!.sent?.map((m) => [m.type, m.kind])).toEqual([
      ['DoWork', 'send'],
      ['Notice', 'publish'],
      ['Reminder', 'schedule'],
    ]);
    expect(history[0]!.sent!.every((m) => typeof m.messageId === 'string' && m.messageId.length > 0)).toBe(true);
    expect(history[1]!.sent).toBeUndefined();
    expect(history[2]!.sent?.map((m) => [m.type, m.kind])).toEqual([['Notice', 'publish']]);
    await orchestrator.close();
  });
});
