/**
 * @module tests/helpers/sagas
 * A second reference saga for machine and diagram tests: unlike the order saga it uses guards,
 * `if`/`ifElse` (nested, with transitions inside branches), `during` over several states, `duringAny`
 * with a state-specific override, guarded and unguarded `ignore`, and `catch`.
 *
 * An expense claim: small claims skip review unless flagged, reviews can approve, reject or escalate,
 * and paying can fail with `PaymentDeclined` (caught: the claim waits in `Retry`) or with any other
 * error (not caught).
 */
import { z } from 'zod';
import { defineEvent, defineSaga } from '../../src/index.ts';

export class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}
export class PaymentCrashed extends Error {
  override name = 'PaymentCrashed';
}

export const ClaimSubmitted = defineEvent(
  'ClaimSubmitted',
  z.object({ amount: z.number().nonnegative(), urgent: z.boolean().default(false) }),
);
export const ClaimReviewed = defineEvent('ClaimReviewed', z.object({ approved: z.boolean(), score: z.number() }));
export const PaymentAttempted = defineEvent(
  'PaymentAttempted',
  z.object({ outcome: z.enum(['paid', 'declined', 'crashed']) }),
);
export const ClaimWithdrawn = defineEvent('ClaimWithdrawn', z.object({ reason: z.string() }));
export const Reminder = defineEvent('Reminder', z.object({}));

export const ClaimData = z.object({
  amount: z.number().default(0),
  reviews: z.number().int().default(0),
  attempts: z.number().int().default(0),
  note: z.string().optional(),
});
export type ClaimData = z.output<typeof ClaimData>;

export const CLAIM_STATES = [
  'InReview',
  'FastTrack',
  'Escalated',
  'Paying',
  'Retry',
  'Paid',
  'Rejected',
  'Withdrawn',
] as const;

function pay(outcome: 'paid' | 'declined' | 'crashed'): void {
  if (outcome === 'declined') throw new PaymentDeclined('card declined');
  if (outcome === 'crashed') throw new PaymentCrashed('gateway down');
}

/** Built with `unhandledEvent: 'ignore'` and `missingInstance: 'ignore'` so that every (state, event) is answerable. */
export const ClaimSaga = defineSaga('claim', {
  data: ClaimData,
  states: CLAIM_STATES,
  unhandledEvent: 'ignore',
  missingInstance: 'ignore',
})
  .initially((s) =>
    s
      // Large claims always go to review (the first matching guard wins).
      .when(ClaimSubmitted, function isLarge(ctx) {
        return ctx.event.amount >= 1000;
      })
      .then((ctx) => {
        ctx.data.amount = ctx.event.amount;
      })
      .transitionTo('InReview')
      .when(ClaimSubmitted)
      .then((ctx) => {
        ctx.data.amount = ctx.event.amount;
      })
      .ifElse(
        function isUrgent(ctx) {
          return ctx.event.urgent;
        },
        (b) => b.transitionTo('FastTrack'),
        (b) => b.transitionTo('InReview'),
      ),
  )
  .during('InReview', (s) =>
    s
      .when(ClaimReviewed, function approved(ctx) {
        return ctx.event.approved;
      })
      .then((ctx) => {
        ctx.data.reviews += 1;
      })
      .ifElse(
        function highScore(ctx) {
          return ctx.event.score >= 8;
        },
        (b) => b.transitionTo('Paying'),
        // Nested: a mediocre approval of a big claim needs a second look; a small one waits in review.
        (b) =>
          b.if(
            function bigClaim(ctx) {
              return ctx.data.amount > 500;
            },
            (bb) => bb.transitionTo('Escalated'),
          ),
      )
      .when(ClaimReviewed)
      .transitionTo('Rejected')
      .finalize(),
  )
  // One block for several states.
  .during('FastTrack', 'Escalated', (s) =>
    s
      .when(ClaimReviewed, function approvedAgain(ctx) {
        return ctx.event.approved;
      })
      .transitionTo('Paying')
      .when(ClaimReviewed)
      .transitionTo('Rejected')
      .finalize(),
  )
  .during('Paying', 'Retry', (s) =>
    s
      .when(PaymentAttempted)
      .then((ctx) => {
        ctx.data.attempts += 1;
        pay(ctx.event.outcome);
      })
      .catch(PaymentDeclined, (b) =>
        b
          .then((ctx) => {
            ctx.data.note = ctx.error.message;
          })
          .transitionTo('Retry'),
      )
      .transitionTo('Paid')
      .finalize(),
  )
  // Paying overrides duringAny: a claim being paid cannot be withdrawn.
  .during('Paying', (s) => s.ignore(ClaimWithdrawn))
  .duringAny((s) =>
    s
      .when(ClaimWithdrawn)
      .then((ctx) => {
        ctx.data.note = ctx.event.reason;
      })
      .transitionTo('Withdrawn')
      .finalize()
      // A reminder escalates a claim that has been reviewed twice already; otherwise it is dropped.
      .when(Reminder, function reviewedTwice(ctx) {
        return ctx.data.reviews >= 2;
      })
      .transitionTo('Escalated')
      .ignore(Reminder),
  );
