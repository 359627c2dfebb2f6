import { SagaflowError } from './sagaflow-error.ts';

export const SERVER_INSECURE = 'SAGA_SERVER_INSECURE';

/**
 * `serveSagaflow` / `sagaflow serve` was asked to listen beyond this machine without a token: anyone
 * who can reach the port could replay and discard messages. Nothing was started.
 */
export class InsecureServerError extends SagaflowError {
  readonly host: string;

  constructor(host: string) {
    super(
      SERVER_INSECURE,
      `refusing to serve on ${host} (not a loopback address) without a token: set one with --token-file <path> ` +
        `or SAGAFLOW_TOKEN (token / tokenFile in serveSagaflow), or, if something in front already authenticates ` +
        `every request, pass --insecure-no-auth (allowUnauthenticated: true)`,
    );
    this.host = host;
  }
}
