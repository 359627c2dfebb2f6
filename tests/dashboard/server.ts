/**
 * @module tests/dashboard/server
 *
 * The real API and dashboard (`serveSagaflow`) on a free port over a PostgreSQL store, with an
 * orchestrator for the order saga so that replays and compensation retries run in process.
 */
import { OrderSaga } from '../../examples/order-saga.ts';
import { serveSagaflow, type SagaflowServer } from '../../src/http/index.ts';
import { SagaOperations } from '../../src/ops/index.ts';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import type { SagaRepository } from '../../src/index.ts';
import { orderOrchestrator } from './seed.ts';

export interface DashboardServer {
  readonly url: string;
  readonly repository: SagaRepository;
  close(): Promise<void>;
}

/**
 * @example
 * const server = await startDashboardServer(db.url, { readOnly: true });
 * await page.goto(server.url);
 */
export async function startDashboardServer(
  databaseUrl: string,
  options: { readOnly?: boolean; token?: string; principals?: ReadonlyArray<{ name: string; role: 'viewer' | 'operator' | 'ingress'; token: string }> } = {},
): Promise<DashboardServer> {
  const repository = await createPrismaRepository({ databaseUrl, poolSize: 4 });
  const orchestrator = orderOrchestrator(repository);
  const ops = new SagaOperations({ repository, sagas: [OrderSaga], orchestrator });
  let server: SagaflowServer;
  try {
    server = await serveSagaflow({ ops, port: 0, pollIntervalMs: 200, onError: () => {}, ...options });
  } catch (error) {
    await orchestrator.close();
    await repository.close?.();
    throw error;
  }
  return {
    url: server.url,
    repository,
    close: async () => {
      await server.close();
      await orchestrator.close();
      await repository.close?.();
    },
  };
}

/**
 * Connects to the live feed from Node and resolves once the server says it watches the store (`: ready`),
 * so that a write made afterwards is reported to every client connected by then. Keep it open meanwhile.
 */
export async function holdLiveFeed(url: string, token?: string): Promise<{ close(): void }> {
  const controller = new AbortController();
  const response = await fetch(`${url}/api/events`, {
    signal: controller.signal,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (!response.ok || !response.body) throw new Error(`GET /api/events answered ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(': ready')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the event stream ended before it was ready');
    text += decoder.decode(value, { stream: true });
  }
  // Keep draining so the server's writes never block on this client.
  void (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // aborted
    }
  })();
  return { close: () => controller.abort() };
}
