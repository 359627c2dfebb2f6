/**
 * @module ops/operator-orchestrator
 *
 * An orchestrator for operator tools (the CLI, the API server) that replay dead letters or retry
 * compensations in their own process. Such a process is not wired to the workers' transport, so it
 * must not deliver the messages those runs produce: on an in-process bus they would be dropped as
 * nobody listens. Here its bus declines every publish, so the messages stay in the outbox, available
 * at once, and the workers' relays deliver them. It subscribes to nothing, runs no relay and no
 * recovery loop: it acts only when an operator asks.
 */
import type { MessageBus } from '../bus/message-bus.ts';
import type { AnySaga } from '../dsl/saga.ts';
import { SagaflowError } from '../errors/sagaflow-error.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { SagaRepository } from '../repository/types.ts';
import { SagaOrchestrator } from '../runtime/orchestrator.ts';

export const HANDED_TO_RELAY = 'SAGA_HANDED_TO_RELAY';

/** A bus that leaves every message to the outbox relays of other processes. */
export class RelayHandOffBus implements MessageBus {
  async publish(envelope: Envelope): Promise<void> {
    throw new SagaflowError(HANDED_TO_RELAY, `'${envelope.type}' is left in the outbox for the workers' relays`);
  }

  subscribe(): () => void {
    return () => {};
  }
}

/**
 * @example
 * const orchestrator = operatorOrchestrator({ sagas: [OrderSaga], repository });
 * const ops = new SagaOperations({ repository, sagas: [OrderSaga], orchestrator });
 * await ops.replayDeadLetter(id); // { outcome: 'dispatched', ... }; its messages wait for the relays
 */
export function operatorOrchestrator(options: {
  readonly sagas: readonly AnySaga[];
  readonly repository: SagaRepository;
  readonly onError?: (error: unknown) => void;
}): SagaOrchestrator {
  const report = options.onError ?? ((error: unknown) => console.error('[sagaflow]', error));
  return new SagaOrchestrator({
    sagas: options.sagas,
    repository: options.repository,
    bus: new RelayHandOffBus(),
    subscribe: false,
    relay: false,
    outbox: { leaseMs: 0 },
    onError: (error) => {
      if (!(error instanceof SagaflowError && error.code === HANDED_TO_RELAY)) report(error);
    },
  });
}
