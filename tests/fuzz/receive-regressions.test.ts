/**
 * The smallest inputs the fuzzer found that break `receive` (and `dispatch`), one test each, so a fix
 * can be checked without running the properties. See tests/fuzz/malformed-input.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createEnvelope, EnvelopeError, InMemorySagaRepository, readIncoming, SagaflowError, SagaOrchestrator } from '../../src/index.ts';
import { OrderCreated, OrderSaga, PaymentFailed } from '../../examples/order-saga.ts';

function setup() {
  const repository = new InMemorySagaRepository();
  return { repository, orchestrator: new SagaOrchestrator({ sagas: [OrderSaga], repository }) };
}

const failed = (payload: unknown) => ({ ...createEnvelope('event', PaymentFailed.name, { orderId: 'o-1', reason: 'r' }), payload });
const refusing = <T extends object>(target: T, trap: keyof ProxyHandler<T>) =>
  new Proxy(target, {
    [trap]: () => {
      throw new Error(`${String(trap)} refused`);
    },
  });
function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe('receive() on the inputs fuzzing found', () => {
  it('readIncoming() does not throw for a proxy whose traps throw, or a revoked proxy', () => {
    for (const input of [refusing({}, 'getPrototypeOf'), refusing({}, 'get'), revoked()]) {
      const incoming = readIncoming(input);
      expect(JSON.parse(JSON.stringify(incoming.stored))).toEqual(incoming.stored);
    }
    expect(readIncoming(refusing({}, 'get')).envelope).toBeInstanceOf(EnvelopeError);
  });

  it('dead-letters an envelope object that is a proxy refusing getPrototypeOf', async () => {
    // readIncoming hands the object back as the envelope, and receive() asks it `instanceof EnvelopeError`.
    const { orchestrator } = setup();
    const result = await orchestrator.receive(refusing(failed({ orderId: 'o-1', reason: 'r' }), 'getPrototypeOf'));
    expect(result).toMatchObject({ status: 'dead-lettered', deadLetter: { reason: 'rejected' } });
  });

  it('dead-letters an envelope whose payload getter throws', async () => {
    const { orchestrator } = setup();
    const envelope = Object.defineProperty(failed(null), 'payload', {
      enumerable: true,
      get() {
        throw new Error('lazy payload failed');
      },
    });
    expect(await orchestrator.receive(envelope)).toMatchObject({ status: 'dead-lettered', deadLetter: { reason: 'invalid-payload' } });
  });

  it('dead-letters a revoked proxy as payload, and dispatch() throws a Sagaflow error for it, not a TypeError', async () => {
    const { orchestrator } = setup();
    expect(await orchestrator.receive(failed(revoked()))).toMatchObject({ status: 'dead-lettered' });
    await expect(orchestrator.dispatch(failed(revoked()))).rejects.toBeInstanceOf(SagaflowError);
  });

  it('dead-letters a 7 KB message nested 3,500 deep instead of overflowing the stack', async () => {
    const { orchestrator } = setup();
    const depth = 3_500;
    const text = JSON.stringify(failed(0)).replace('"payload":0', () => `"payload":${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(text.length).toBeLessThan(8_000);
    expect(await orchestrator.receive(text)).toMatchObject({ status: 'dead-lettered', deadLetter: { reason: 'invalid-payload' } });
  });

  it('counts a payload holding a BigInt or a cycle against maxPayloadBytes', async () => {
    const { orchestrator, repository } = setup();
    const huge = { orderId: 'o-big', customerId: 'c', total: 1, items: [{ sku: 's', quantity: 1 }], padding: 'x'.repeat(300_000) };
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const extra of [1n, cycle]) {
      const envelope = createEnvelope('event', OrderCreated.name, { ...huge, extra });
      expect(await orchestrator.receive(envelope)).toMatchObject({ status: 'dead-lettered', deadLetter: { reason: 'payload-too-large' } });
    }
    expect(await repository.findByCorrelation('order', 'o-big')).toBeNull();
  });

  it('reads each envelope field once: a getter that answers differently later cannot make it throw', async () => {
    const { orchestrator } = setup();
    const outcomes: string[] = [];
    for (const field of ['type', 'messageId', 'payload'] as const) {
      for (let honest = 0; honest <= 6; honest++) {
        const envelope: Record<string, unknown> = failed({ orderId: 'o-1', reason: 'r' });
        const value = envelope[field];
        let reads = 0;
        Object.defineProperty(envelope, field, {
          enumerable: true,
          get: () => (reads++ < honest ? value : field === 'payload' ? undefined : 42n),
        });
        try {
          outcomes.push((await orchestrator.receive(envelope)).status);
        } catch (error) {
          outcomes.push(`${field} after ${honest} reads: threw ${String(error)}`);
        }
      }
    }
    expect(outcomes.filter((o) => o.includes('threw'))).toEqual([]);
  });
});
