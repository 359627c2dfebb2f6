/**
 * Fuzzing `receive` and `dispatch` with malformed and hostile input (fast-check, fixed seed).
 *
 * The world: the example order saga on an in-memory store that already holds an order in each state.
 * For every input: `receive` never throws; it ends in a handled result or a dead letter whose reason is
 * what the reference model (`oracle.ts`) predicts; the pre-existing orders are unchanged (state, status,
 * version, data, stack, history); no built-in prototype gained or lost a property. After each property
 * a valid event still applies. `dispatch` throws only Sagaflow errors with a stable code.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope, EnvelopeError, readIncoming, type Envelope } from '../../src/index.ts';
import { OrderCreated, PaymentProcessed } from '../../examples/order-saga.ts';
import { FUZZ_SEED, MALFORMED_INPUT_RUNS as RUNS } from './figures.ts';
import { hostileEnvelopes, hostilePayloads, shiftingGetters } from './hostile-cases.ts';
import {
  bytesAndText,
  deepNesting,
  hugePayloads,
  invalidPayloads,
  jsonValues,
  missingFields,
  nulCharacters,
  prototypePollution,
  refusedByTheSaga,
  unknownTypes,
  wrongFieldTypes,
  type Category,
} from './malformed-cases.ts';
import { CODES_FOR, expectResult, expectTypedError, isEnvelope, judge, verdictFor, type Case } from './oracle.ts';
import { makeWorld, prototypes, snapshot, type World } from './order-world.ts';

let world: World;
let untouched: string;
let builtIns: string;
const tried = new Map<string, number>();

beforeAll(async () => {
  world = await makeWorld();
  untouched = await snapshot(world);
  builtIns = prototypes();
});

afterAll(() => {
  const total = [...tried.values()].reduce((a, b) => a + b, 0);
  const each = [...tried].map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`[fuzz] malformed input: ${total} inputs tried (seed ${FUZZ_SEED}): ${each}`);
});

const count = (name: string) => tried.set(name, (tried.get(name) ?? 0) + 1);

async function expectUntouched() {
  expect(await snapshot(world), 'a pre-existing order changed').toBe(untouched);
  expect(prototypes(), 'a built-in prototype changed').toBe(builtIns);
}

/** A fresh order still goes through: the orchestrator was not left broken. */
async function expectStillWorking() {
  const orderId = `canary-${randomUUID()}`;
  const created = createEnvelope('event', OrderCreated.name, { orderId, customerId: 'c', total: 5, items: [{ sku: 's', quantity: 1 }] });
  const paid = createEnvelope('event', PaymentProcessed.name, { orderId, transactionId: 't', amount: 5 });
  expect(await world.orchestrator.receive(JSON.stringify(created))).toMatchObject({ status: 'handled' });
  expect(await world.orchestrator.receive(paid)).toMatchObject({ status: 'handled' });
  expect(await world.orchestrator.find('order', orderId)).toMatchObject({ state: 'AwaitingInventory', version: 2 });
}

function receiveProperty<S>(name: keyof typeof RUNS, category: Category<S>) {
  it(`${name}: every input is handled or dead-lettered with the predicted reason, and changes no existing order`, async () => {
    await fc.assert(
      fc.asyncProperty(category.arb, async (spec) => {
        count(name);
        const c: Case = category.make(spec, world);
        const verdict = await verdictFor(c.expect, world);
        const result = await world.orchestrator.receive(c.input);
        await expectResult(result, c.expect, verdict, world);
        await expectUntouched();
      }),
      { seed: FUZZ_SEED, numRuns: RUNS[name] },
    );
    await expectStillWorking();
  });
}

describe('receive() under fuzzing', () => {
  receiveProperty('bytesAndText', bytesAndText);
  receiveProperty('jsonValues', jsonValues);
  receiveProperty('wrongFieldTypes', wrongFieldTypes);
  receiveProperty('missingFields', missingFields);
  receiveProperty('hugePayloads', hugePayloads);
  receiveProperty('invalidPayloads', invalidPayloads);
  receiveProperty('unknownTypes', unknownTypes);
  receiveProperty('nulCharacters', nulCharacters);
  receiveProperty('prototypePollution', prototypePollution);
  receiveProperty('deepNesting', deepNesting);
  receiveProperty('refusedByTheSaga', refusedByTheSaga);
  receiveProperty('hostileEnvelopes', hostileEnvelopes);
  receiveProperty('hostilePayloads', hostilePayloads);
  receiveProperty('shiftingGetters', shiftingGetters);
});

/** Data that is JSON or close to it (BigInts, cycles, symbols), as an in-process caller might pass. */
const dataCategories: ReadonlyArray<Category<unknown>> = [
  jsonValues, wrongFieldTypes, missingFields, invalidPayloads, unknownTypes, nulCharacters, prototypePollution, refusedByTheSaga,
] as ReadonlyArray<Category<unknown>>;

/** The JSON value `dispatch` sees: the input itself, unless it is text or bytes (which are not envelopes). */
function dataOf(c: Case): unknown {
  if (typeof c.input !== 'object' || c.input === null) return c.input;
  if (c.input instanceof Uint8Array) return 'bytes';
  return c.expect.kind === 'value' ? c.expect.value : c.expect.kind === 'text' ? JSON.parse(c.expect.text) : undefined;
}

function oneOf(categories: ReadonlyArray<Category<unknown>>): fc.Arbitrary<{ index: number; spec: unknown }> {
  return fc.oneof(...categories.map((c, index) => c.arb.map((spec) => ({ index, spec }))));
}

describe('dispatch() under fuzzing', () => {
  it('dispatchData: throws only Sagaflow errors with a stable code, the one the model predicts', async () => {
    await fc.assert(
      fc.asyncProperty(oneOf(dataCategories), async ({ index, spec }) => {
        count('dispatchData');
        const c = dataCategories[index]!.make(spec, world);
        // dispatch takes an object: text and bytes are not envelopes, and the size limit is receive's.
        const value = dataOf(c);
        const verdict = await judge(value, world, { sizeLimit: false });
        let outcome: unknown;
        try {
          outcome = await world.orchestrator.dispatch(c.input as Envelope);
        } catch (error) {
          expectTypedError(error);
          expect('deadLetter' in verdict, `the model expected ${JSON.stringify(verdict)}, dispatch threw ${error.code}`).toBe(true);
          if ('deadLetter' in verdict) expect(CODES_FOR[verdict.deadLetter]).toContain(error.code);
          await expectUntouched();
          return;
        }
        expect(verdict).toEqual({ handled: (outcome as { outcomes: Array<{ result: string }> }).outcomes[0]!.result });
        await expectUntouched();
      }),
      { seed: FUZZ_SEED, numRuns: RUNS.dispatchData },
    );
    await expectStillWorking();
  });

  const hostile = [hostileEnvelopes, hostilePayloads, shiftingGetters] as ReadonlyArray<Category<unknown>>;
  it('dispatchHostile: proxies, getters, cycles and BigInts make it throw a Sagaflow error or succeed, nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(oneOf(hostile), async ({ index, spec }) => {
        count('dispatchHostile');
        const c = hostile[index]!.make(spec, world);
        try {
          await world.orchestrator.dispatch(c.input as Envelope);
        } catch (error) {
          expectTypedError(error);
        }
        await expectUntouched();
      }),
      { seed: FUZZ_SEED, numRuns: RUNS.dispatchHostile },
    );
    await expectStillWorking();
  });
});

/**
 * `instanceof` consults the prototype, which a proxy's trap may refuse: an EnvelopeError is never a
 * proxy, so a refusal means this is the input object itself (the orchestrator does not guard this yet).
 */
function isEnvelopeError(value: unknown): boolean {
  try {
    return value instanceof EnvelopeError;
  } catch {
    return false;
  }
}

describe('readIncoming() under fuzzing', () => {
  const everything = [...dataCategories, bytesAndText, deepNesting, hostileEnvelopes, hostilePayloads, shiftingGetters] as ReadonlyArray<
    Category<unknown>
  >;
  it('readIncoming: never throws, and calls an envelope exactly what the envelope rules accept', async () => {
    await fc.assert(
      fc.asyncProperty(oneOf(everything), async ({ index, spec }) => {
        count('readIncoming');
        const c = everything[index]!.make(spec, world);
        const incoming = readIncoming(c.input);
        if (c.expect.kind === 'value' || c.expect.kind === 'text') {
          let value: unknown;
          if (c.expect.kind === 'value') value = c.expect.value;
          else {
            try {
              value = JSON.parse(c.expect.text);
            } catch {
              value = undefined;
            }
          }
          // Readable input only: a payload that cannot be read is the dispatcher's to refuse.
          if (!(c.expect.kind === 'value' && c.expect.or)) expect(isEnvelopeError(incoming.envelope)).toBe(!isEnvelope(value));
        }
      }),
      { seed: FUZZ_SEED, numRuns: RUNS.readIncoming },
    );
  });
});

describe('after the fuzzing', () => {
  it('the pre-existing orders still take their next event', async () => {
    const awaiting = world.pre.get('awaiting-payment')!;
    const paid = createEnvelope('event', PaymentProcessed.name, { orderId: awaiting.orderId, transactionId: 't', amount: 10 });
    expect(await world.orchestrator.receive(paid)).toMatchObject({ status: 'handled', result: { outcomes: [{ result: 'applied' }] } });
    expect(await world.orchestrator.find('order', awaiting.orderId)).toMatchObject({ state: 'AwaitingInventory', version: 2 });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
