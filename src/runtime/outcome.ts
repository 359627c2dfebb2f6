/**
 * @module runtime/outcome
 * What dispatching a message did, per saga.
 */
import type { CompensationError } from '../errors/compensation-error.ts';
import type { SagaStatus } from '../repository/types.ts';
import type { CommandRunResult } from '../commands/command-processor.ts';

export type IgnoreReason =
  /** No instance, and the event cannot start one (policy `missingInstance: 'ignore'`). */
  | 'missing-instance'
  /** The state has no handler or no guard matched (policy `unhandled: 'ignore'`). */
  | 'unhandled'
  /** The state declares `ignore()` for the event. */
  | 'ignored'
  /** A scheduled event whose schedule was cancelled or superseded (or whose instance is gone). */
  | 'stale-schedule'
  /** An answer to a request the instance no longer waits for (superseded, timed out, or finished). */
  | 'stale-response';

export interface CompensationReport {
  /** Steps that ran to completion in this run. */
  readonly steps: number;
  /** Set when a step threw: the instance is in `compensation_failed`. */
  readonly error?: CompensationError;
}

export type SagaOutcome =
  | {
      readonly saga: string;
      readonly correlationId: string;
      readonly result: 'applied';
      readonly instanceId: string;
      readonly created: boolean;
      readonly stateBefore: string;
      readonly state: string;
      readonly status: SagaStatus;
      /** The version after this event (0 when a completed instance was removed). */
      readonly version: number;
      readonly compensation?: CompensationReport;
    }
  | {
      /** The instance had already applied this message id: acknowledged, nothing changed. */
      readonly saga: string;
      readonly correlationId: string;
      readonly result: 'duplicate';
      readonly instanceId: string | undefined;
    }
  | {
      readonly saga: string;
      readonly correlationId: string | undefined;
      readonly result: 'ignored';
      readonly reason: IgnoreReason;
      readonly state?: string;
    };

export interface DispatchResult {
  readonly messageId: string;
  readonly type: string;
  /** One entry per saga that handles the type. */
  readonly outcomes: readonly SagaOutcome[];
  /** For a command with a handler registered here (`orchestrator.handle`): what running it did. */
  readonly command?: CommandRunResult;
}
