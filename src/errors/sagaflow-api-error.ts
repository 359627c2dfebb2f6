import { SagaflowError } from './sagaflow-error.ts';

/** What `SagaflowApiError` carries when the answer was no Sagaflow problem (a proxy's 502 page, a network failure). */
export const HTTP_ERROR = 'SAGA_HTTP_ERROR';

/**
 * An error answer of the Sagaflow HTTP API, as `sagaflow/client` throws it: `code` is the problem's own
 * stable code (`SAGA_PAYLOAD_INVALID`, `SAGA_FORBIDDEN`, …, see docs/troubleshooting.md), `status` the
 * HTTP status, `details` the problem's details. An answer that is not a problem (or no answer: the
 * network failed, `status` 0) has the code `SAGA_HTTP_ERROR`.
 */
export class SagaflowApiError extends SagaflowError {
  readonly status: number;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
    this.details = details;
  }
}
