import { SagaflowError } from './sagaflow-error.ts';

export const COMPENSATION_FAILED = 'SAGA_COMPENSATION_FAILED';
export const UNKNOWN_COMPENSATION = 'SAGA_UNKNOWN_COMPENSATION';

/**
 * A compensation step threw. The run stopped with the failing step still on top of the stack and the
 * instance in status `compensation_failed`; `orchestrator.retryCompensation()` resumes from that step.
 */
export class CompensationError extends SagaflowError {
  readonly sagaName: string;
  readonly correlationId: string;
  readonly step: string;

  constructor(sagaName: string, correlationId: string, step: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      COMPENSATION_FAILED,
      `saga '${sagaName}' instance '${correlationId}': compensation step '${step}' failed: ${reason}`,
      { cause },
    );
    this.sagaName = sagaName;
    this.correlationId = correlationId;
    this.step = step;
  }
}

/** An action registered a compensation the saga declares no handler for. */
export class UnknownCompensationError extends SagaflowError {
  constructor(sagaName: string, name: string, known: readonly string[]) {
    super(
      UNKNOWN_COMPENSATION,
      `saga '${sagaName}' has no compensation '${name}'; declared: ${known.length ? known.join(', ') : '(none)'}`,
    );
  }
}
