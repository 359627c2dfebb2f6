/**
 * @module cli/serve-command
 *
 * `sagaflow serve`: the HTTP API and the dashboard until SIGINT or SIGTERM (or `signal` aborts).
 */
import { importPeer } from '../peers/optional-peers.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import type { CliIo } from './io.ts';

export interface ServeOptions {
  readonly port: number;
  readonly host: string;
  readonly token?: string | undefined;
  readonly readOnly?: boolean;
  readonly pollInterval?: number;
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
    readOnly: options.readOnly ?? false,
    ...(options.pollInterval !== undefined && { pollIntervalMs: options.pollInterval }),
    onError: (error) => io.err(`error: ${error instanceof Error ? error.message : String(error)}`),
  });
  const notes = [options.token ? 'token required' : 'no token', options.readOnly ? 'read-only' : 'actions enabled'];
  if (!ops.orchestrator) notes.push('replays queue in the outbox (no --sagas)');
  io.out(`sagaflow dashboard and API at ${server.url} (${notes.join(', ')})`);
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await server.close();
  io.out('stopped');
  return 0;
}
