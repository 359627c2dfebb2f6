/**
 * @module http/serve
 *
 * Runs the API (and the dashboard) standalone on Node's HTTP server through `@hono/node-server`.
 */
import type { AddressInfo } from 'node:net';
import type { serve as honoServe } from '@hono/node-server';
import { importPeer } from '../peers/optional-peers.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import type { SagaflowApiOptions } from './api.ts';

export interface ServeSagaflowOptions extends SagaflowApiOptions {
  readonly ops: SagaOperations;
  /** Default 3000; 0 picks a free port (read it from `url`). */
  readonly port?: number;
  /** Default `127.0.0.1`: only this machine. Use `0.0.0.0` to listen on every interface. */
  readonly host?: string;
}

export interface SagaflowServer {
  /** Where it listens, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections, ends open event streams, stops the change feed. */
  close(): Promise<void>;
}

/**
 * @example
 * const server = await serveSagaflow({ ops, port: 3000, token: process.env.SAGAFLOW_TOKEN });
 * console.log(`dashboard at ${server.url}`);
 * await server.close();
 */
export async function serveSagaflow(options: ServeSagaflowOptions): Promise<SagaflowServer> {
  const { ops, port = 3000, host = '127.0.0.1', ...apiOptions } = options;
  // hono and its Node server are optional peers: loaded when a server starts, with a clear error if absent.
  const [{ serve }, { createSagaflowApi }] = await Promise.all([
    importPeer('@hono/node-server', 'http', () => import('@hono/node-server')),
    importPeer('hono', 'http', () => import('./api.ts')),
  ]);
  const api = createSagaflowApi(ops, apiOptions);
  const { server, address } = await new Promise<{ server: ReturnType<typeof honoServe>; address: AddressInfo }>((resolve, reject) => {
    const server = serve({ fetch: api.fetch, port, hostname: host }, (info) => resolve({ server, address: info }));
    server.once('error', reject);
  });
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${address.port}`,
    port: address.port,
    close: async () => {
      await api.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Event streams never end on their own: cut them so close() returns.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}
