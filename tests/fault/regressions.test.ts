/**
 * The framework bugs the fault-injection suite found, each reduced to a deterministic case (both fixed
 * in 9a15be7): an event decided on a stale instance cache, and a compensation run abandoned after a
 * transient store failure.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createEnvelope,
  defineCompensation,
  defineEvent,
  defineSaga,
  InMemorySagaRepository,
  SagaOrchestrator,
  SagaStatus,
  TransientStoreError,
  type SagaCommit,
} from '../../src/index.ts';
import { delegate } from '../helpers/faulty-repository.ts';
import { useTestDatabase } from '../helpers/postgres.ts';

const Opened = defineEvent('Opened', z.object({}));
const Paid = defineEvent('Paid', z.object({}));
const Shipped = defineEvent('Shipped', z.object({}));
const Failed = defineEvent('Failed', z.object({}));
const Refund = defineCompensation('refund', z.object({}));

let refunds = 0;
const Order = defineSaga('order', { data: z.object({}), states: ['AwaitingPayment', 'AwaitingShipment', 'Done', 'Cancelled'] })
  .initially((s) => s.when(Opened).transitionTo('AwaitingPayment'))
  .during('AwaitingPayment', (s) => s.when(Paid).then((ctx) => ctx.compensation.add(Refund, {})).transitionTo('AwaitingShipment'))
  .during('AwaitingShipment', (s) =>
    s.when(Shipped).transitionTo('Done').finalize().when(Failed).compensate().transitionTo('Cancelled').finalize(),
  )
  .compensation(Refund, () => void refunds++);

describe('regressions found by fault injection', () => {
  const db = useTestDatabase();

  it('an event reaching a process whose instance cache is stale is applied, not refused as unhandled and dead-lettered', async () => {
    const repository = () => db.repository(); // the factory's default: cache on
    const a = new SagaOrchestrator({ sagas: [Order], repository: await repository(), relay: false });
    const b = new SagaOrchestrator({ sagas: [Order], repository: await repository(), relay: false });
    await a.publish(Opened, {}, { correlationId: 'o-1' }); // A caches version 1, AwaitingPayment
    await b.publish(Paid, {}, { correlationId: 'o-1' }); // B writes version 2, AwaitingShipment
    // A answers from its stale copy: 'Shipped' is not handled in AwaitingPayment, and nothing is written
    // that a version check could catch, so receive() dead-letters it as 'rejected'.
    const result = await a.receive(createEnvelope('event', Shipped.name, {}, { correlationId: 'o-1' }));
    expect(result.status).toBe('handled');
    expect((await b.find(Order, 'o-1'))?.state).toBe('Done');
  });

  it('a transient store failure while popping a compensation step does not leave the run to recover()', async () => {
    const inner = new InMemorySagaRepository();
    let failOnce = true;
    const repository = {
      ...delegate(inner),
      async commit(commit: SagaCommit) {
        if (failOnce && commit.kind === 'update' && commit.history.eventType === 'sagaflow.compensation.step') {
          failOnce = false;
          throw new TransientStoreError('57P01', new Error('terminating connection due to administrator command'));
        }
        return inner.commit(commit);
      },
    };
    const orchestrator = new SagaOrchestrator({ sagas: [Order], repository });
    await orchestrator.publish(Opened, {}, { correlationId: 'o-2' });
    await orchestrator.publish(Paid, {}, { correlationId: 'o-2' });
    // Today: the retry of 'Failed' finds it applied and answers 'duplicate'; the instance stays
    // 'compensating' with the refund (which already ran once) on its stack until someone calls recover().
    const result = await orchestrator.publish(Failed, {}, { correlationId: 'o-2' });
    expect(result.outcomes[0]?.result).toBe('applied');
    expect((await orchestrator.find(Order, 'o-2'))?.status).toBe(SagaStatus.Faulted);
  });
});
