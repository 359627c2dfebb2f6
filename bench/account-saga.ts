/**
 * @module bench/account-saga
 *
 * The saga of the realistic workloads: an account that is opened once and then receives any number of
 * `Deposited` events, each a new version of the instance and a new history row. Unlike the order saga,
 * which finishes after four events, its instances stay live, so a benchmark can create many first and
 * then send events to existing instances chosen at random (the cold workload). Its data is about the
 * size of an order's (~150 bytes of JSON).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineEvent, defineSaga } from '../src/index.ts';

export const AccountOpened = defineEvent('AccountOpened', z.object({ accountId: z.string(), owner: z.string(), currency: z.string() }));
export const Deposited = defineEvent('Deposited', z.object({ accountId: z.string(), amount: z.number(), reference: z.string() }));

export const AccountData = z.object({
  accountId: z.string().default(''),
  owner: z.string().default(''),
  currency: z.string().default('EUR'),
  balance: z.number().default(0),
  deposits: z.number().int().default(0),
  lastReference: z.string().optional(),
  tags: z.array(z.string()).default([]),
});

const byAccount = { correlateBy: (p: { accountId: string }) => p.accountId };

export const AccountSaga = defineSaga('account', { data: AccountData, states: ['Open'] })
  .event(AccountOpened, byAccount)
  .event(Deposited, byAccount)
  .initially((s) =>
    s
      .when(AccountOpened)
      .then((ctx) => {
        ctx.data.accountId = ctx.event.accountId;
        ctx.data.owner = ctx.event.owner;
        ctx.data.currency = ctx.event.currency;
        ctx.data.tags = ['retail', 'standard'];
      })
      .transitionTo('Open'),
  )
  .during('Open', (s) =>
    s.when(Deposited).then((ctx) => {
      ctx.data.balance += ctx.event.amount;
      ctx.data.deposits += 1;
      ctx.data.lastReference = ctx.event.reference;
    }),
  );

/** The correlation id of account `n` (0-based). */
export function accountId(n: number): string {
  return `acct-${String(n).padStart(8, '0')}`;
}

/** The data an account holds once opened, as `AccountOpened` leaves it (the SQL pre-fill writes the same). */
export function openedData(n: number): z.infer<typeof AccountData> {
  return { accountId: accountId(n), owner: `customer-${n % 9973}`, currency: 'EUR', balance: 0, deposits: 0, tags: ['retail', 'standard'] };
}

/** One `Deposited` for account `n`, with a fresh reference. */
export function deposit(n: number): z.infer<typeof Deposited.schema> {
  return { accountId: accountId(n), amount: 12.5, reference: randomUUID() };
}
