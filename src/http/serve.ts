/**
 * @module http/serve
 *
 * Runs the API (and the dashboard) standalone on Node's HTTP server through `@hono/node-server`, safe
 * by default (see `servingPolicy`): no token only on a loopback address, never an empty token, and only
 * the host names it is known by (docs/operations.md, "Serving safely").
 */
import type { AddressInfo } from 'node:net';
import type { serve as honoServe } from '@hono/node-server';
import { importPeer } from '../peers/optional-peers.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import type { SagaflowApiOptions } from './api.ts';
import { allowedHostnames, servingPolicy } from './serving-policy.ts';

export interface ServeSagaflowOptions extends SagaflowApiOptions {
  readonly ops: SagaOperations;
  /** Default 3000; 0 picks a free port (read it from `url`). */
  readonly port?: number;
  /**
   * Default `127.0.0.1`: only this machine. Any other address (`0.0.0.0`: every interface) needs a
   * token, or `allowUnauthenticated`.
   */
  readonly host?: string;
  /** Read the token from this file (one trailing newline ignored), so it is not in the command line. */
  readonly tokenFile?: string | undefined;
  /** Serve without a token on a non-loopback `host`: only when something in front authenticates. */
  readonly allowUnauthenticated?: boolean | undefined;
  /**
   * More host names the server answers to (a DNS name, the name a reverse proxy forwards), besides
   * `localhost`, the loopback addresses and the bound address (every interface's with `0.0.0.0`).
   * `['*']` answers to any (the proxy in front checks `Host`).
   */
  readonly allowedHosts?: readonly string[] | undefined;
}

export interface SagaflowServer {
  /** Where to open it from this machine, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** The address actually bound, e.g. `0.0.0.0:41234` or `[::1]:3000`. */
  readonly address: string;
  readonly port: number;
  /** Whether `/api/*` needs the token. */
  readonly tokenRequired: boolean;
  /** Stops accepting connections, ends open event streams, stops the change feed. */
  close(): Promise<void>;
}

/**
 * @example
 * const server = await serveSagaflow({ ops, port: 3000, host: '0.0.0.0', tokenFile: '/run/secrets/sagaflow-token' });
 * console.log(`dashboard at ${server.url}`);
 * await server.close();
 * @throws InsecureServerError for a non-loopback `host` without a token; InvalidTokenError for an empty token or token file
 */
export async function serveSagaflow(options: ServeSagaflowOptions): Promise<SagaflowServer> {
  const { ops, port = 3000, host = '127.0.0.1', tokenFile, allowUnauthenticated, allowedHosts, ...apiOptions } = options;
  const policy = await servingPolicy({ host, token: apiOptions.token, tokenFile, allowUnauthenticated, principals: apiOptions.principals });
  const hosts = allowedHostnames(host, policy.addresses, allowedHosts);
  // hono and its Node server are optional peers: loaded when a server starts, with a clear error if absent.
  const [{ serve }, { createSagaflowApi }] = await Promise.all([
    importPeer('@hono/node-server', 'http', () => import('@hono/node-server')),
    importPeer('hono', 'http', () => import('./api.ts')),
  ]);
  const api = createSagaflowApi(ops, { ...apiOptions, token: policy.token, ...(hosts && { allowedHosts: hosts }) });
  const { server, address } = await new Promise<{ server: ReturnType<typeof honoServe>; address: AddressInfo }>((resolve, reject) => {
    const server = serve({ fetch: api.fetch, port, hostname: host }, (info) => resolve({ server, address: info }));
    server.once('error', reject);
  });
  const bound = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  const named = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  // A wildcard is no address to open: this machine reaches it on loopback.
  const local = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' || host === '[::]' ? '[::1]' : named;
  return {
    url: `http://${local}:${address.port}`,
    address: `${bound}:${address.port}`,
    port: address.port,
    tokenRequired: policy.token !== undefined || (apiOptions.principals?.length ?? 0) > 0,
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
