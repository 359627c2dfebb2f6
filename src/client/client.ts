/**
 * @module client/client
 *
 * A small typed client over the Sagaflow HTTP API: publish events through the ingress, read instances,
 * wait for an instance to reach a state. It needs nothing but `fetch` (Node 18+, browsers, Deno, edge
 * runtimes), and imports no zod, hono or Node module: event definitions are used for their types and
 * their `name` only, so the payload is checked by the compiler here and by the event's schema on the
 * server.
 */
import type { EventDefinition, InputOf } from '../messages/message-definition.ts';
import type { InstanceDetail, InstanceSummary } from '../ops/views.ts';
import { HTTP_ERROR, SagaflowApiError } from '../errors/sagaflow-api-error.ts';
import { WaitTimeoutError } from '../errors/wait-timeout-error.ts';
import type { BatchResult, IngressEventInput, PublishResult } from './types.ts';

export interface SagaflowClientOptions {
  /** Where the API is served or mounted: `http://127.0.0.1:3000`, `https://ops.example.com/sagaflow`. */
  readonly baseUrl: string | URL;
  /** A principal's token, or a function that returns the current one (a rotating secret). */
  readonly token?: string | (() => string | Promise<string>) | undefined;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch | undefined;
}

export interface PublishOptions {
  /** The instance's correlation id; leave it out when the saga correlates from the payload. */
  readonly correlationId?: string;
  /** Give one to make retries safe: the same id again is a `duplicate`, never a second transition. */
  readonly messageId?: string;
  readonly signal?: AbortSignal;
}

export interface ListFilter {
  readonly saga?: string;
  readonly state?: string;
  readonly status?: readonly string[];
  readonly correlationId?: string;
  readonly order?: 'asc' | 'desc';
  readonly limit?: number;
  readonly cursor?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** Which instance to wait for: by id, or by saga and correlation id (it may not exist yet). */
export type InstanceRef = { readonly id: string } | { readonly saga: string; readonly correlationId: string };

export interface WaitOptions {
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Between two reads. Default 250 ms. */
  readonly pollIntervalMs?: number;
  readonly signal?: AbortSignal;
}

export interface SagaflowClient {
  /** Publishes one event (`POST /api/ingress/events`); the payload is typed by the event's definition. */
  publish<E extends EventDefinition>(event: E, payload: InputOf<E>, options?: PublishOptions): Promise<PublishResult>;
  /** Publishes several events in order (`POST /api/ingress/events/batch`); build them with `ingressEvent`. */
  publishBatch(events: readonly IngressEventInput[], options?: { readonly signal?: AbortSignal }): Promise<BatchResult>;
  /** One instance with its newest history (`GET /api/instances/:id`). */
  instance(id: string, options?: { readonly signal?: AbortSignal }): Promise<InstanceDetail>;
  /** A page of instances (`GET /api/instances`). */
  list(filter?: ListFilter, options?: { readonly signal?: AbortSignal }): Promise<Page<InstanceSummary>>;
  /** The instance of `saga` with this correlation id, or `null`. */
  find(saga: string, correlationId: string, options?: { readonly signal?: AbortSignal }): Promise<InstanceSummary | null>;
  /**
   * Resolves with the instance once it is in one of `states`; `WaitTimeoutError` after `timeoutMs`
   * (with what it saw last). Polls: works through any proxy, needs only the viewer role.
   */
  waitForState(ref: InstanceRef, states: string | readonly string[], options?: WaitOptions): Promise<InstanceSummary>;
}

/**
 * An item for `publishBatch`, typed by the event's definition like `publish`.
 *
 * @example
 * await client.publishBatch([ingressEvent(OrderCreated, { orderId: 'o-1', total: 3 }, { messageId: 'm-1' })]);
 */
export function ingressEvent<E extends EventDefinition>(event: E, payload: InputOf<E>, options: Omit<PublishOptions, 'signal'> = {}): IngressEventInput {
  return { type: event.name, payload, ...options };
}

/**
 * @example
 * const client = createSagaflowClient({ baseUrl: 'http://127.0.0.1:3000', token: process.env.SAGAFLOW_TOKEN });
 * await client.publish(OrderCreated, { orderId: 'o-1', total: 42 }, { messageId: 'order-o-1' });
 * const order = await client.waitForState({ saga: 'order', correlationId: 'o-1' }, 'AwaitingPayment', { timeoutMs: 5_000 });
 */
export function createSagaflowClient(options: SagaflowClientOptions): SagaflowClient {
  const base = String(options.baseUrl).replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await doFetch(`${base}/api/${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }), ...(signal && { signal }) });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new SagaflowApiError(0, HTTP_ERROR, `${method} ${base}/api/${path} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) throw problemError(response.status, json);
    return json as T;
  }

  const client: SagaflowClient = {
    publish: (event, payload, { signal, ...rest } = {}) => call('POST', 'ingress/events', ingressEvent(event, payload, rest), signal),
    publishBatch: (events, { signal } = {}) => call('POST', 'ingress/events/batch', { events }, signal),
    instance: (id, { signal } = {}) => call('GET', `instances/${encodeURIComponent(id)}`, undefined, signal),
    list: (filter = {}, { signal } = {}) => call('GET', `instances${queryString(filter)}`, undefined, signal),
    async find(saga, correlationId, { signal } = {}) {
      const page = await client.list({ saga, correlationId, limit: 1 }, { signal });
      return page.items[0] ?? null;
    },
    async waitForState(ref, states, { timeoutMs = 30_000, pollIntervalMs = 250, signal } = {}) {
      const wanted = typeof states === 'string' ? [states] : [...states];
      const deadline = Date.now() + timeoutMs;
      const read = async () => ('id' in ref ? (await client.instance(ref.id, { signal })).instance : await client.find(ref.saga, ref.correlationId, { signal }));
      for (;;) {
        const seen = await read().catch((error: unknown) => {
          // Not there yet is what waiting is for.
          if (error instanceof SagaflowApiError && error.status === 404) return null;
          throw error;
        });
        if (seen !== null && wanted.includes(seen.state)) return seen;
        const left = deadline - Date.now();
        if (left <= 0) {
          const what = 'id' in ref ? `instance ${ref.id}` : `${ref.saga} instance ${ref.correlationId}`;
          throw new WaitTimeoutError(what, wanted, timeoutMs, seen && { state: seen.state, status: seen.status });
        }
        await sleep(Math.min(pollIntervalMs, left), signal);
      }
    },
  };
  return client;
}

function problemError(status: number, json: unknown): SagaflowApiError {
  const error = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string') return new SagaflowApiError(status, error.code, error.message, error.details);
  return new SagaflowApiError(status, HTTP_ERROR, `the API answered ${status} without a Sagaflow problem (a proxy in between?)`);
}

function queryString(filter: ListFilter): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
    };
    const aborted = () => {
      done();
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
