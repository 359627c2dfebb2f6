import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REQUEST_HEADER, SCHEDULE_SAGA_HEADER, createEnvelope, defineCommand, defineEvent, defineSaga } from '../../src/index.ts';
import { createTestHarness } from '../../src/testing/index.ts';

const OrderPlaced = defineEvent('OrderPlaced', z.object({ amount: z.number() }));
const Retry = defineEvent('Retry', z.object({ amount: z.number() }));
const CheckCredit = defineCommand('CheckCredit', z.object({ amount: z.number() }), { output: z.object({ approved: z.boolean() }) });

const Credit = defineSaga('credit', {
  data: z.object({ approved: z.boolean().optional(), outcome: z.string().optional(), requests: z.number().default(0) }),
  states: ['Checking', 'Decided', 'NoAnswer', 'Failed'],
})
  .initially((s) =>
    s
      .when(OrderPlaced)
      .then((ctx) => void ctx.data.requests++)
      .request(CheckCredit, (ctx) => ({ amount: ctx.event.amount }), { timeoutMs: 5_000 })
      .transitionTo('Checking'),
  )
  .during('Checking', (s) =>
    s
      .when(CheckCredit.completed)
      .then((ctx) => void (ctx.data.approved = ctx.event.output.approved))
      .transitionTo('Decided')
      .when(CheckCredit.failed)
      .then((ctx) => void (ctx.data.outcome = ctx.event.error.message))
      .transitionTo('Failed')
      .when(CheckCredit.timedOut)
      .then((ctx) => void (ctx.data.outcome = `no answer after ${ctx.event.timeoutMs} ms (${ctx.event.attempts} attempts)`))
      .transitionTo('NoAnswer')
      .when(Retry)
      .then((ctx) => void ctx.data.requests++)
      .request(CheckCredit, (ctx) => ({ amount: ctx.event.amount }), { timeoutMs: 5_000 }),
  );

/** The outcome a handler elsewhere would send for `command`: headers as the command processor copies them. */
function answer(command: { messageId: string; correlationId?: string; headers: Record<string, string | undefined> }, approved: boolean) {
  return createEnvelope('event', CheckCredit.completed.name, { commandId: command.messageId, output: { approved } }, {
    correlationId: command.correlationId,
    headers: { [SCHEDULE_SAGA_HEADER]: command.headers[SCHEDULE_SAGA_HEADER]!, [REQUEST_HEADER]: command.headers[REQUEST_HEADER]! },
  });
}

describe('request/response from a saga', () => {
  it('applies the handler\'s answer and cancels the request\'s timeout in the same write', async () => {
    const h = createTestHarness({ sagas: [Credit] });
    h.orchestrator.handle(CheckCredit, (input) => ({ approved: input.amount < 100 }));
    await h.publish(OrderPlaced, { amount: 40 }, { correlationId: 'o-1' });
    const decided = await h.expectState(Credit, 'o-1', 'Decided');
    expect(decided.data.approved).toBe(true);
    expect(decided.schedules ?? []).toEqual([]);
    await h.advance(10_000);
    await h.expectState(Credit, 'o-1', 'Decided');
    expect(h.published(CheckCredit.timedOut)).toHaveLength(0);
    expect(h.errors).toEqual([]);
  });

  it('delivers timedOut when no answer came in time, durably scheduled, and drops the late answer', async () => {
    const h = createTestHarness({ sagas: [Credit] });
    await h.publish(OrderPlaced, { amount: 40 }, { correlationId: 'o-2' });
    const waiting = await h.expectState(Credit, 'o-2', 'Checking');
    const [request] = h.sent(CheckCredit);
    expect(waiting.schedules).toEqual([expect.objectContaining({ key: 'request:CheckCredit', requestId: request!.messageId, type: 'CheckCredit.TimedOut' })]);
    await h.advance(4_999);
    await h.expectState(Credit, 'o-2', 'Checking');
    await h.advance(1);
    const timedOut = await h.expectState(Credit, 'o-2', 'NoAnswer');
    expect(timedOut.data.outcome).toBe('no answer after 5000 ms (0 attempts)');
    const late = await h.orchestrator.dispatch(answer(request!, true));
    expect(late.outcomes).toEqual([expect.objectContaining({ result: 'ignored', reason: 'stale-response' })]);
    expect((await h.instance(Credit, 'o-2'))!.version).toBe(timedOut.version);
  });

  it('applies only the answer to the latest request under a key', async () => {
    const h = createTestHarness({ sagas: [Credit] });
    await h.publish(OrderPlaced, { amount: 40 }, { correlationId: 'o-3' });
    await h.publish(Retry, { amount: 50 }, { correlationId: 'o-3' });
    const [first, second] = h.sent(CheckCredit);
    const stale = await h.orchestrator.dispatch(answer(first!, false));
    expect(stale.outcomes[0]).toMatchObject({ result: 'ignored', reason: 'stale-response' });
    await h.orchestrator.dispatch(answer(second!, true));
    const decided = await h.expectState(Credit, 'o-3', 'Decided');
    expect(decided.data).toMatchObject({ approved: true, requests: 2 });
    // The first request's timeout was superseded, the second's cancelled by its answer: nothing fires.
    await h.advance(60_000);
    await h.expectState(Credit, 'o-3', 'Decided');
  });

  it('routes a failed handler\'s outcome to the requesting saga only, as its answer', async () => {
    const Other = defineSaga('other', { data: z.object({ seen: z.number().default(0) }), states: ['Listening'] })
      .initially((s) => s.when(OrderPlaced).transitionTo('Listening'))
      .during('Listening', (s) => s.when(CheckCredit.failed).then((ctx) => void ctx.data.seen++));
    const h = createTestHarness({ sagas: [Credit, Other] });
    h.orchestrator.handle(CheckCredit, () => Promise.reject(new Error('bureau down')));
    await h.publish(OrderPlaced, { amount: 40 }, { correlationId: 'o-4' });
    const failed = await h.expectState(Credit, 'o-4', 'Failed');
    expect(failed.data.outcome).toBe('bureau down');
    expect((await h.instance(Other, 'o-4'))!.data.seen).toBe(0);
  });

  it('refuses a request without a timeout when the saga is defined', () => {
    expect(() =>
      defineSaga('bad', { data: z.object({}), states: ['A'] }).initially((s) =>
        s.when(OrderPlaced).request(CheckCredit, { amount: 1 }, {} as never).transitionTo('A'),
      ),
    ).toThrow(/timeoutMs/);
  });
});
