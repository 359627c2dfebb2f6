/**
 * @module dsl/retry-option
 * Checks a retry policy where a saga declares it, so a bad one fails at definition time.
 */
import { DefinitionError, type DefinitionLocation } from '../errors/definition-error.ts';
import { retryPolicyProblem, type RetryPolicy } from '../runtime/retry-policy.ts';

/** A frozen copy of a valid retry policy; a `DefinitionError` for an invalid one. */
export function checkedRetry(
  policy: RetryPolicy | undefined,
  where: DefinitionLocation,
  option: string,
): RetryPolicy | undefined {
  if (policy === undefined) return undefined;
  const problem = retryPolicyProblem(policy);
  if (problem) throw new DefinitionError(where, `${option}: ${problem}`);
  return Object.freeze({ ...policy });
}
