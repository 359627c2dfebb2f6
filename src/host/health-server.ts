/**
 * @module host/health-server
 * `GET /health` for load balancers and orchestrators (Kubernetes probes): 200 with the host's health as
 * JSON while it takes messages, 503 while it starts, drains, has lost its broker or cannot reach its store.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthReport {
  readonly status: 'starting' | 'running' | 'stopping' | 'stopped';
  /** Whether it takes messages now; the endpoint answers 200 exactly then. */
  readonly ready: boolean;
  readonly [detail: string]: unknown;
}

export interface HealthServer {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startHealthServer(report: () => HealthReport, options: { port: number; host?: string }): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url !== '/health' && request.url !== '/healthz')) {
      response.writeHead(404).end();
      return;
    }
    const body = report();
    response.writeHead(body.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
