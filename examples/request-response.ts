/**
 * Request/response from a saga (MassTransit's `Request`): the loan saga asks a credit bureau for a
 * score and waits at most 300 ms. The request's id and its durable timeout are kept on the instance; the
 * answer applies only while the instance waits for that request; if none came in time, `timedOut`
 * arrives instead, and an answer that turns up later is dropped.
 *
 * Run it: `npx tsx examples/request-response.ts` (the tests do, in tests/examples/coordination.test.ts).
 */
import { z } from 'zod';
import { defineCommand, defineEvent, defineSaga, SagaOrchestrator } from '../src/index.ts';

const TIMEOUT_MS = 300;

const LoanRequested = defineEvent('LoanRequested', z.object({ applicant: z.string(), amount: z.number() }));
const GetCreditScore = defineCommand('GetCreditScore', z.object({ applicant: z.string() }), { output: z.object({ score: z.number() }) });

export const Loan = defineSaga('loan', {
  data: z.object({ amount: z.number().default(0), score: z.number().optional(), reason: z.string().optional() }),
  states: ['Scoring', 'Approved', 'Declined', 'Manual'],
})
  .initially((s) =>
    s
      .when(LoanRequested)
      .then((ctx) => void (ctx.data.amount = ctx.event.amount))
      .request(GetCreditScore, (ctx) => ({ applicant: ctx.event.applicant }), { timeoutMs: TIMEOUT_MS })
      .transitionTo('Scoring'),
  )
  .during('Scoring', (s) =>
    s
      .when(GetCreditScore.completed, (ctx) => ctx.event.output.score >= 600)
      .then((ctx) => void (ctx.data.score = ctx.event.output.score))
      .transitionTo('Approved')
      .finalize()
      .when(GetCreditScore.completed)
      .then((ctx) => void (ctx.data.score = ctx.event.output.score))
      .transitionTo('Declined')
      .finalize()
      .when(GetCreditScore.failed)
      .then((ctx) => void (ctx.data.reason = `bureau failed: ${ctx.event.error.message}`))
      .transitionTo('Manual')
      .when(GetCreditScore.timedOut)
      .then((ctx) => void (ctx.data.reason = `no score within ${ctx.event.timeoutMs} ms`))
      .transitionTo('Manual'),
  );

const orchestrator = new SagaOrchestrator({ sagas: [Loan] });
orchestrator.handle(GetCreditScore, async (input) => {
  if (input.applicant === 'ada') return { score: 720 };
  if (input.applicant === 'bob') return { score: 480 };
  if (input.applicant === 'eve') throw new Error('applicant unknown');
  // 'kim': the bureau is slow; its answer comes after the saga stopped waiting.
  await new Promise((resolve) => setTimeout(resolve, 2 * TIMEOUT_MS));
  return { score: 800 };
});
await orchestrator.start(); // runs the relay, which delivers due timeouts

for (const applicant of ['ada', 'bob', 'eve', 'kim']) {
  await orchestrator.publish(LoanRequested, { applicant, amount: 1_000 }, { correlationId: applicant });
}
await orchestrator.idle(); // until every command has been handled and every answer delivered

for (const applicant of ['ada', 'bob', 'eve', 'kim']) {
  const loan = await orchestrator.find(Loan, applicant);
  const history = (await orchestrator.repository.history(loan!.id)).map((e) => e.eventType).join(' > ');
  console.log(`${applicant}: ${loan!.state} ${JSON.stringify(loan!.data)} | ${history}`);
}
const [late] = (await orchestrator.repository.listCommands({ correlationId: 'kim' })).items;
const kim = await orchestrator.find(Loan, 'kim');
console.log(`kim's late answer: command ${late!.status}, instance still ${kim!.state} at version ${kim!.version}`);
await orchestrator.close();
