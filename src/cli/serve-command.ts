/**
 * @module cli/serve-command
 *
 * `sagaflow serve`: the HTTP API and the dashboard until SIGINT or SIGTERM (or `signal` aborts). Safe
 * by default: `checkServeOptions` refuses a network address without a token, and an empty token,
 * before the database is opened.
 */
import { servingPolicy } from '../http/serving-policy.ts';
import { InvalidTokenError } from '../errors/invalid-token-error.ts';
import { loadPrincipalsFile, parsePrincipals, type PrincipalConfig } from '../http/principals.ts';
import { importPeer } from '../peers/optional-peers.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import type { CliIo } from './io.ts';

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  readonly token?: string | undefined;
  /** A file holding the token, so that it is not in the command line (`ps`). */
  readonly tokenFile?: string | undefined;
  /** `--principals-file` / `SAGAFLOW_PRINCIPALS_FILE`: named principals with roles. */
  readonly principalsFile?: string | undefined;
  /** `SAGAFLOW_PRINCIPALS`: the same list as JSON text. Not together with a file. */
  readonly principalsJson?: string | undefined;
  /** Resolved by `checkServeOptions`. */
  readonly principals?: readonly PrincipalConfig[] | undefined;
  /** `--insecure-no-auth`: no token on a non-loopback address. */
  readonly insecureNoAuth?: boolean | undefined;
  /** `--allowed-host`: more host names to answer to. */
  readonly allowedHosts?: readonly string[] | undefined;
  readonly readOnly?: boolean;
  readonly pollInterval?: number;
}

/**
 * Resolves the token (reading `--token-file`) and applies the serving policy.
 *
 * @example
 * const checked = await checkServeOptions({ port: 3000, host: '0.0.0.0', tokenFile: '/run/secrets/token' });
 * @throws InsecureServerError, InvalidTokenError
 */
export async function checkServeOptions(options: ServeOptions): Promise<ServeOptions> {
  const principals = await principalsOf(options);
  const policy = await servingPolicy({
    host: options.host,
    token: options.token,
    tokenFile: options.tokenFile,
    principals,
    allowUnauthenticated: options.insecureNoAuth,
  });
  return { ...options, token: policy.token, tokenFile: undefined, principals, principalsFile: undefined, principalsJson: undefined };
}

async function principalsOf(options: ServeOptions): Promise<readonly PrincipalConfig[] | undefined> {
  if (options.principals !== undefined) return options.principals;
  if (options.principalsFile !== undefined && options.principalsJson !== undefined) {
    throw new InvalidTokenError('give principals either in a file (--principals-file / SAGAFLOW_PRINCIPALS_FILE) or in SAGAFLOW_PRINCIPALS, not both');
  }
  if (options.principalsFile !== undefined) return loadPrincipalsFile(options.principalsFile);
  if (options.principalsJson !== undefined) return parsePrincipals(options.principalsJson, 'SAGAFLOW_PRINCIPALS');
  return undefined;
}

/**
 * @example
 * await serveCommand(ops, { port: 3000, host: '127.0.0.1' }, processIo, AbortSignal.timeout(60_000));
 * @returns the exit code, once the server stopped
 */
export async function serveCommand(ops: SagaOperations, options: ServeOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  // Loaded here, not at start-up: the other commands run without hono installed.
  const { serveSagaflow } = await importPeer(['hono', '@hono/node-server'], 'http', () => import('../http/serve.ts'));
  const server = await serveSagaflow({
    ops,
    port: options.port,
    host: options.host,
    token: options.token,
    tokenFile: options.tokenFile,
    principals: options.principals,
    allowUnauthenticated: options.insecureNoAuth,
    allowedHosts: options.allowedHosts,
    readOnly: options.readOnly ?? false,
    ...(options.pollInterval !== undefined && { pollIntervalMs: options.pollInterval }),
    onError: (error, context) =>
      io.err(`error${context ? ` ${context.errorId}` : ''}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });
  const notes = [server.tokenRequired ? 'token required' : 'no token', options.readOnly ? 'read-only' : 'actions enabled'];
  if (!ops.orchestrator) notes.push('replays queue in the outbox (no --sagas)');
  io.out(`sagaflow dashboard and API listening on ${server.address}, open ${server.url} (${notes.join(', ')})`);
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await server.close();
  io.out('stopped');
  return 0;
}
