/**
 * @module testing/saga-test-harness
 * Deterministic tests of a user's own sagas, as MassTransit's test harness and NServiceBus's
 * `TestableSaga` allow: a real orchestrator on the in-memory repository and bus with a fake clock.
 * Publish events, advance time (which fires due schedules and timeouts, with no sleeping), and assert on
 * instances, on the messages the sagas sent or published, and on the compensations that ran.
 */
import { InProcessBus } from '../bus/in-process-bus.ts';
import { FakeClock } from '../clock/fake-clock.ts';
import type { AnySaga, Saga } from '../dsl/saga.ts';
import { SagaflowError } from '../errors/sagaflow-error.ts';
import type { Envelope, EnvelopeOptions } from '../messages/envelope.ts';
import type { InputOf, MessageDefinition, PayloadOf } from '../messages/message-definition.ts';
import { InMemorySagaRepository } from '../repository/in-memory-saga-repository.ts';
import { COMPENSATION_STEP } from '../runtime/compensation-runner.ts';
import { SagaOrchestrator, type SagaInstance, type SagaOrchestratorOptions } from '../runtime/orchestrator.ts';
import type { DispatchResult } from '../runtime/outcome.ts';

export const HARNESS_TIMEOUT = 'SAGA_TEST_TIMEOUT';
export const HARNESS_EXPECTATION = 'SAGA_TEST_EXPECTATION';

export interface SagaTestHarnessOptions
  extends Omit<SagaOrchestratorOptions, 'repository' | 'bus' | 'clock' | 'relay'> {
  /** Where the fake clock starts. Default 2025-01-01T00:00:00Z. */
  readonly start?: Date;
}

/** A compensation step that ran to completion, read from the instance's history. */
export interface CompensationRan {
  readonly step: string;
  readonly args: unknown;
}

/** A typed message the sagas sent or published. */
export interface Captured<M extends MessageDefinition> extends Envelope<PayloadOf<M>> {}

/**
 * @example
 * const harness = createTestHarness({ sagas: [OrderSaga] });
 * harness.respond(ProcessPayment, (cmd) => [PaymentProcessed, { orderId: cmd.orderId, transactionId: 'tx-1', amount: cmd.amount }]);
 * await harness.publish(OrderCreated, { orderId: 'o-1', total: 10, items: [] }, { correlationId: 'o-1' });
 * await harness.expectState(OrderSaga, 'o-1', 'AwaitingInventory');
 * expect(harness.sent(ProcessPayment)).toHaveLength(1);
 */
export class SagaTestHarness {
  readonly clock: FakeClock;
  readonly bus = new InProcessBus();
  readonly repository = new InMemorySagaRepository();
  readonly orchestrator: SagaOrchestrator;
  /** Every message that went over the bus, in order: what the test published and what the sagas produced. */
  readonly messages: Envelope[] = [];
  readonly #errors: unknown[] = [];

  constructor(options: SagaTestHarnessOptions) {
    const { start, ...rest } = options;
    this.clock = new FakeClock(start ?? Date.UTC(2025, 0, 1));
    this.bus.subscribe('*', (envelope) => void this.messages.push(envelope));
    this.orchestrator = new SagaOrchestrator({
      onError: (error) => this.#errors.push(error),
      ...rest,
      repository: this.repository,
      bus: this.bus,
      clock: this.clock,
      // The harness drives the relay itself, from advance(): time moves only when the test says so.
      relay: { leaseMs: 60_000, pollIntervalMs: 60_000 },
    });
  }

  /** Errors nobody awaited (a subscriber that threw, a failed delivery), for tests to assert on. */
  get errors(): readonly unknown[] {
    return this.#errors;
  }

  /**
   * Publishes an event (or command) on the bus, as another service would, and waits until every
   * message it caused has been handled.
   */
  async publish<M extends MessageDefinition>(message: M, payload: InputOf<M>, options?: EnvelopeOptions): Promise<void> {
    await this.bus.publish(message, payload, options);
    await this.settle();
  }

  /** Dispatches straight to the orchestrator: the typed error comes back instead of a dead letter. */
  async dispatch<M extends MessageDefinition>(message: M, payload: InputOf<M>, options?: EnvelopeOptions): Promise<DispatchResult> {
    const result = await this.orchestrator.publish(message, payload, options);
    await this.settle();
    return result;
  }

  /**
   * A fake service: answers each `command` with the message `reply` returns (or nothing), correlated
   * and caused by the command.
   */
  respond<C extends MessageDefinition, R extends MessageDefinition>(
    command: C,
    reply: (payload: PayloadOf<C>, envelope: Envelope<PayloadOf<C>>) => readonly [R, InputOf<R>] | undefined | void,
  ): () => void {
    return this.bus.subscribe(command.name, async (envelope) => {
      const answer = reply(envelope.payload as PayloadOf<C>, envelope as Envelope<PayloadOf<C>>);
      if (!answer) return;
      const [message, payload] = answer;
      const options: EnvelopeOptions = { causationId: envelope.messageId };
      await this.bus.publish(message, payload, envelope.correlationId ? { ...options, correlationId: envelope.correlationId } : options);
    });
  }

  /** Moves the fake clock forward and delivers everything that became due (schedules, timeouts, redeliveries). */
  async advance(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.settle();
  }

  /** Delivers what is due now and waits until nothing is in flight. */
  async settle(): Promise<void> {
    for (let round = 0; round < 1_000; round++) {
      await this.orchestrator.idle();
      const pass = await this.orchestrator.relay!.runOnce();
      if (pass.claimed === 0) {
        await this.orchestrator.idle();
        return;
      }
    }
    throw new SagaflowError(HARNESS_TIMEOUT, 'messages kept becoming due after 1,000 relay passes: a saga schedules itself in a loop?');
  }

  /** Messages of one kind that went over the bus, typed by their definition. */
  sent<M extends MessageDefinition>(message: M): Captured<M>[] {
    return this.messages.filter((m) => m.type === message.name) as Captured<M>[];
  }

  /** Alias of `sent`, for events. */
  published<M extends MessageDefinition>(message: M): Captured<M>[] {
    return this.sent(message);
  }

  async instance<D>(saga: Saga<string, D, string>, correlationId: string): Promise<SagaInstance<D> | null> {
    return this.orchestrator.find(saga, correlationId);
  }

  /** Resolves with the instance when it is in `state`; rejects with what it is in otherwise. */
  async expectState<D, S extends string>(saga: Saga<string, D, S>, correlationId: string, state: S | 'Final'): Promise<SagaInstance<D>> {
    await this.settle();
    const instance = await this.instance(saga, correlationId);
    if (instance?.state !== state) {
      throw new SagaflowError(
        HARNESS_EXPECTATION,
        `expected saga '${saga.name}' instance '${correlationId}' in state '${state}', but it ${instance ? `is in '${instance.state}'` : 'does not exist'}`,
      );
    }
    return instance;
  }

  /**
   * Waits until the instance reaches `state`, for work the test does not drive itself (a real async
   * service, a timer of its own). Polls on the event loop, never on the fake clock; rejects after
   * `timeoutMs` of real time with the state it is in.
   */
  async waitForState<D, S extends string>(
    saga: Saga<string, D, S>,
    correlationId: string,
    state: S | 'Final',
    options: { timeoutMs?: number } = {},
  ): Promise<SagaInstance<D>> {
    const deadline = Date.now() + (options.timeoutMs ?? 2_000);
    for (;;) {
      await this.settle();
      const instance = await this.instance(saga, correlationId);
      if (instance?.state === state) return instance;
      if (Date.now() >= deadline) {
        throw new SagaflowError(
          HARNESS_TIMEOUT,
          `saga '${saga.name}' instance '${correlationId}' did not reach '${state}' within ${options.timeoutMs ?? 2_000} ms ` +
            `(it ${instance ? `is in '${instance.state}'` : 'does not exist'})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The compensation steps that ran for an instance, in the order they ran (last registered first). */
  async compensations(saga: AnySaga, correlationId: string): Promise<CompensationRan[]> {
    const instance = await this.orchestrator.find(saga.name, correlationId);
    if (!instance) return [];
    const history = await this.repository.history(instance.id);
    return history
      .filter((h) => h.eventType === COMPENSATION_STEP)
      .map((h) => {
        const p = h.payload as { step: string; args: unknown };
        return { step: p.step, args: p.args };
      });
  }

  async dispose(): Promise<void> {
    await this.orchestrator.close();
  }
}

export function createTestHarness(options: SagaTestHarnessOptions): SagaTestHarness {
  return new SagaTestHarness(options);
}
