import { SagaflowError } from './sagaflow-error.ts';

export const WAIT_TIMEOUT = 'SAGA_WAIT_TIMEOUT';

/**
 * `client.waitForState()` gave up: the instance was not in one of the awaited states within the timeout.
 * `last` is what it saw last (`null`: no such instance yet), so a caller can tell "still on its way"
 * from "went elsewhere".
 */
export class WaitTimeoutError extends SagaflowError {
  readonly states: readonly string[];
  readonly last: { readonly state: string; readonly status: string } | null;

  constructor(what: string, states: readonly string[], timeoutMs: number, last: { readonly state: string; readonly status: string } | null) {
    const seen = last === null ? 'no such instance was found' : `it is in ${last.state} (${last.status})`;
    super(WAIT_TIMEOUT, `${what} did not reach ${states.join(' or ')} within ${timeoutMs} ms: ${seen}`);
    this.states = states;
    this.last = last;
  }
}
