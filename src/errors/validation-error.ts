import type { z } from 'zod';
import { SagaflowError } from './sagaflow-error.ts';

export const VALIDATION_ERROR = 'SAGA_PAYLOAD_INVALID';

/** A message payload failed its zod schema. Nothing was loaded, run or written. */
export class ValidationError extends SagaflowError {
  readonly messageType: string;
  readonly issues: readonly z.core.$ZodIssue[];

  constructor(messageType: string, issues: readonly z.core.$ZodIssue[], what = 'payload') {
    const summary = issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    super(VALIDATION_ERROR, `${what} of '${messageType}' is invalid: ${summary}`);
    this.messageType = messageType;
    this.issues = issues;
  }
}
