/**
 * Evolving a saga while instances are in flight (docs/evolution.md), end to end in one process:
 * version 1 of a subscription saga runs; version 2 renames a state, splits another by the data, drops a
 * compensation step, renames an event and changes the data. The deploy gate (`checkSagas`, what
 * `sagaflow check` runs) refuses version 2 without migrations and passes it with them; one instance is
 * migrated eagerly (`migrateInstances`, what `sagaflow instances migrate` runs), the others lazily when
 * their next event arrives; the old definition then refuses a migrated instance.
 *
 * Run it: `npx tsx examples/evolution.ts`.
 */
import { z } from 'zod';
import {
  InMemorySagaRepository,
  SagaOrchestrator,
  SagaVersionNewerError,
  checkSagas,
  defineCompensation,
  defineEvent,
  defineSaga,
  migrateInstances,
  summarize,
  type SagaMigrations,
  type SagaRepository,
} from '../src/index.ts';

const byId = { correlateBy: (p: { id: string }) => p.id };
export const Subscribed = defineEvent('Subscribed', z.object({ id: z.string(), plan: z.string(), price: z.number() }));
export const Charged = defineEvent('Charged', z.object({ id: z.string() }));
export const Activated = defineEvent('Activated', z.object({ id: z.string() }));
export const Renewed = defineEvent('Renewed', z.object({ id: z.string() }));
/** Version 1's name for `TrialOver`. */
export const TrialEnded = defineEvent('TrialEnded', z.object({ id: z.string() }));
export const TrialOver = defineEvent('TrialOver', z.object({ id: z.string() }));
const Refund = defineCompensation('refund', z.object({ price: z.number() }));
const Notify = defineCompensation('notifyCancel', z.object({}));

/** Version 1: Trial → Billing → Active; the price is a float in euros. */
export const SubscriptionV1 = defineSaga('subscription', {
  data: z.object({ plan: z.string().default(''), price: z.number().default(0) }),
  states: ['Trial', 'Billing', 'Active', 'Ended'],
})
  .event(Subscribed, byId)
  .event(Charged, byId)
  .event(Activated, byId)
  .event(TrialEnded, byId)
  .event(Renewed, byId)
  .initially((s) => s.when(Subscribed).then((ctx) => void Object.assign(ctx.data, { plan: ctx.event.plan, price: ctx.event.price })).transitionTo('Trial'))
  .during('Trial', (s) => s.when(TrialEnded).transitionTo('Billing'))
  .during('Billing', (s) =>
    s
      .when(Charged)
      .then((ctx) => {
        ctx.compensation.add(Refund, { price: ctx.data.price });
        ctx.compensation.add(Notify, {});
      })
      .transitionTo('Active'),
  )
  .during('Active', (s) => s.when(Renewed).then(() => undefined).when(Activated).transitionTo('Ended').finalize())
  .compensation(Refund, () => undefined)
  .compensation(Notify, () => undefined);

/**
 * Version 2's code: `Trial` is `Evaluating`; `Billing` is split into `Invoicing` (business plans) and
 * `CardPayment`; the `notifyCancel` step is gone; `TrialEnded` is `TrialOver`; the price is in cents.
 */
function subscriptionV2(options: { version?: number; migrations?: SagaMigrations }) {
  return defineSaga('subscription', {
    data: z.object({ plan: z.string(), cents: z.number().int() }),
    initialData: { plan: '', cents: 0 },
    states: ['Evaluating', 'Invoicing', 'CardPayment', 'Active', 'Ended'],
    ...options,
  })
    .event(Subscribed, byId)
    .event(Charged, byId)
    .event(Activated, byId)
    .event(TrialOver, byId)
    .event(Renewed, byId)
    .initially((s) =>
      s.when(Subscribed).then((ctx) => void Object.assign(ctx.data, { plan: ctx.event.plan, cents: Math.round(ctx.event.price * 100) })).transitionTo('Evaluating'),
    )
    .during('Evaluating', (s) =>
      s
        .when(TrialOver, (ctx) => ctx.data.plan === 'business')
        .transitionTo('Invoicing')
        .when(TrialOver)
        .transitionTo('CardPayment'),
    )
    .during('Invoicing', 'CardPayment', (s) =>
      s
        .when(Charged)
        .then((ctx) => ctx.compensation.add(Refund, { price: ctx.data.cents / 100 }))
        .transitionTo('Active'),
    )
    .during('Active', (s) => s.when(Renewed).then(() => undefined).when(Activated).transitionTo('Ended').finalize())
    .compensation(Refund, () => undefined);
}

/** Version 2 deployed as if nothing changed: the deploy gate must refuse it. */
export const SubscriptionV2Unmigrated = subscriptionV2({});

/** Version 2 with its migration from version 1. */
export const SubscriptionV2 = subscriptionV2({
  version: 2,
  migrations: {
    1: {
      fromStates: ['Trial', 'Billing', 'Active', 'Ended'],
      states: {
        Trial: 'Evaluating',
        Billing: { among: ['Invoicing', 'CardPayment'], pick: (d) => ((d as { plan: string }).plan === 'business' ? 'Invoicing' : 'CardPayment') },
      },
      events: { TrialEnded: 'TrialOver' },
      compensations: { notifyCancel: null },
      data: (old) => {
        const { price, ...rest } = old as { plan: string; price: number };
        return { ...rest, cents: Math.round(price * 100) };
      },
    },
  },
});

export async function runEvolution(log: (line: string) => void = console.log, repository: SagaRepository = new InMemorySagaRepository()) {
  // Version 1 runs: three subscriptions, in Trial, Billing and Active.
  const v1 = new SagaOrchestrator({ sagas: [SubscriptionV1], repository, startupCheck: 'off' });
  await v1.publish(Subscribed, { id: 'sub-trial', plan: 'basic', price: 9.99 });
  await v1.publish(Subscribed, { id: 'sub-billing', plan: 'business', price: 49.5 });
  await v1.publish(TrialEnded, { id: 'sub-billing' });
  await v1.publish(Subscribed, { id: 'sub-active', plan: 'basic', price: 5 });
  await v1.publish(TrialEnded, { id: 'sub-active' });
  await v1.publish(Charged, { id: 'sub-active' });
  await v1.close();

  // The deploy gate, before deploying version 2.
  const refused = await checkSagas([SubscriptionV2Unmigrated.compiled], repository);
  log(`check without migrations: ${refused.ok ? 'ok' : `refused: ${summarize(refused)}`}`);
  const passed = await checkSagas([SubscriptionV2.compiled], repository);
  log(`check with migrations: ${passed.ok ? 'ok' : 'refused'}`);

  // Deployed. A worker on version 2 migrates an instance lazily when its next event arrives, here one
  // still sent under the event's old name (it is routed to the renamed event)...
  const v2 = new SagaOrchestrator({ sagas: [SubscriptionV2], repository });
  await v2.publish(TrialEnded, { id: 'sub-trial' });
  // ...and sagaflow instances migrate (here its function) migrates the rest now.
  const [eager] = await migrateInstances([SubscriptionV2.compiled], repository, { batch: 100 });
  log(`instances migrate: ${eager!.migrated} migrated`);
  await v2.publish(Charged, { id: 'sub-billing' });
  const instances = await Promise.all(['sub-trial', 'sub-billing', 'sub-active'].map((id) => v2.find(SubscriptionV2, id)));
  for (const i of instances) log(`${i!.correlationId}: ${i!.state} (definition version ${i!.dataVersion}) ${JSON.stringify(i!.data)} steps=${i!.compensation.map((c) => c.name).join(',')}`);
  await v2.close();

  // An old worker (version 1) leaves migrated instances alone.
  const old = new SagaOrchestrator({ sagas: [SubscriptionV1], repository, startupCheck: 'off' });
  const error = await old.publish(Renewed, { id: 'sub-active' }).catch((e: unknown) => e);
  log(`old worker: ${error instanceof SagaVersionNewerError ? error.code : 'accepted?!'}`);
  await old.close();
  return { refused, passed, instances, error };
}

if (import.meta.url === `file://${process.argv[1]}`) await runEvolution();
