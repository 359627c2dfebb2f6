/**
 * @module errors/sagaflow-error
 * The root of every error Sagaflow throws. Each subclass has a stable `code` that callers can switch on
 * (messages may improve between releases; codes do not change).
 */
export class SagaflowError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `error` is a Sagaflow error, optionally with the given code. */
export function isSagaflowError(error: unknown, code?: string): error is SagaflowError {
  return error instanceof SagaflowError && (code === undefined || error.code === code);
}
