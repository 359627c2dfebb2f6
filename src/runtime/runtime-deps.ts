/**
 * @module runtime/runtime-deps
 * The collaborators the orchestrator's steps share.
 */
import type { Clock } from '../clock/clock.ts';
import type { Envelope } from '../messages/envelope.ts';
import type { SagaRepository } from '../repository/types.ts';
import type { ObserverSet } from './observers.ts';

export interface RuntimeDeps {
  readonly repository: SagaRepository;
  readonly clock: Clock;
  readonly observers: ObserverSet;
  /** Sends messages whose producing write has committed. */
  readonly deliver: (messages: readonly Envelope[]) => void;
}
