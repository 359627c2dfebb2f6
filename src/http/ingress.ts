/**
 * @module http/ingress
 *
 * `POST /api/ingress/events` and `POST /api/ingress/events/batch`: publish correlated events into the
 * sagas from outside (a webhook, another service, a browser through `sagaflow/client`). Each event is
 * validated against its type's schema and dispatched in this process by `SagaOperations.orchestrator`;
 * the answer says what it did (`handled`, `duplicate`, `ignored`: `http/ingress-outcome`) or is a
 * problem+json with a stable code. A `messageId` makes a retry safe: the saga's inbox answers a
 * redelivery `duplicate` and never applies it twice.
 *
 * Routes live under `INGRESS_PREFIX`, so the guard gives them the `ingest` permission: the `ingress`
 * role may call them and nothing else. Bodies are bounded (413 `SAGA_PAYLOAD_TOO_LARGE` before any of
 * it is parsed), batches too (413 `SAGA_BATCH_TOO_LARGE`). Only event types a saga handles are taken:
 * a command, or a type nobody handles, is 422 `SAGA_UNKNOWN_EVENT`.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { BatchItemResult, PublishResult, SagaResult } from '../client/types.ts';
import { BatchTooLargeError } from '../errors/batch-too-large-error.ts';
import { OrchestratorRequiredError } from '../errors/orchestrator-required-error.ts';
import { PAYLOAD_TOO_LARGE } from '../errors/payload-too-large-error.ts';
import { UnknownEventError } from '../errors/unknown-event-error.ts';
import { createEnvelope } from '../messages/envelope.ts';
import type { MessageDefinition } from '../messages/message-definition.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import type { SagaRepository } from '../repository/types.ts';
import type { SagaOrchestrator } from '../runtime/orchestrator.ts';
import { IngressBatch, IngressEvent } from './ingress-schemas.ts';
import { ingressProblem, outcomeOf, publishResult, RequestBodyError } from './ingress-outcome.ts';
import { problem, respond } from './problem.ts';

export interface IngressOptions {
  /** The largest body of `POST /api/ingress/events`, in bytes. Default 512 KiB (the payload itself is bounded by the orchestrator's `maxPayloadBytes`). */
  readonly maxBodyBytes?: number | undefined;
  /** The largest body of `POST /api/ingress/events/batch`, in bytes. Default 1 MiB. */
  readonly maxBatchBytes?: number | undefined;
  /** The most events one batch may hold. Default 100. */
  readonly maxBatchEvents?: number | undefined;
}

export const DEFAULT_INGRESS_LIMITS = Object.freeze({ maxBodyBytes: 512 * 1024, maxBatchBytes: 1024 * 1024, maxBatchEvents: 100 });

/**
 * The ingress routes, to mount at `/api/ingress` behind the API's guard.
 *
 * @example
 * api.route('/api/ingress', ingressRoutes(ops, { maxBatchEvents: 50 }, (error, errorId) => log.error({ error, errorId })));
 */
export function ingressRoutes(ops: SagaOperations, options: IngressOptions = {}, report: (error: unknown, errorId: string) => void = () => {}): Hono {
  const limits = { ...DEFAULT_INGRESS_LIMITS, ...definedLimits(options) };
  const app = new Hono();
  app.onError((error, c) => respond(c, ingressProblem(error, '', report)));

  app.post('/events', limit(limits.maxBodyBytes), async (c) => {
    const event = IngressEvent.parse(await jsonBody(c));
    const orchestrator = orchestratorOf(ops);
    try {
      return c.json(await publish(orchestrator, event));
    } catch (error) {
      return respond(c, ingressProblem(error, event.type, report));
    }
  });

  app.post('/events/batch', limit(limits.maxBatchBytes), async (c) => {
    const body = await jsonBody(c);
    // Counted before the schema walks every event: a huge array is refused for its length alone.
    const count = Array.isArray((body as { events?: unknown })?.events) ? (body as { events: unknown[] }).events.length : 0;
    if (count > limits.maxBatchEvents) throw new BatchTooLargeError(count, limits.maxBatchEvents);
    const { events } = IngressBatch.parse(body);
    const orchestrator = orchestratorOf(ops);
    // In order, one at a time: events of one instance keep their order, and a failure stops nothing else.
    const results: BatchItemResult[] = [];
    for (const [index, event] of events.entries()) {
      try {
        results.push({ index, ...(await publish(orchestrator, event)) });
      } catch (error) {
        results.push({ index, error: ingressProblem(error, event.type, report).body.error });
      }
    }
    return c.json({ results });
  });

  app.all('*', (c) => respond(c, problem(404, 'SAGA_NOT_FOUND', `no ingress route ${c.req.method} ${c.req.path}: POST /api/ingress/events or /api/ingress/events/batch`)));
  return app;
}

async function publish(orchestrator: SagaOrchestrator, event: IngressEvent): Promise<PublishResult> {
  // The ingress publishes events: a command type would run its handler on the caller's say-so.
  if (orchestrator.commands?.handles(event.type) || !orchestrator.handledTypes.includes(event.type)) {
    throw new UnknownEventError(event.type, []);
  }
  const options = {
    ...(event.correlationId !== undefined && { correlationId: event.correlationId }),
    ...(event.messageId !== undefined && { messageId: event.messageId }),
  };
  const envelope = createEnvelope('event', event.type, event.payload, options, new Date(orchestrator.clock.now()));
  const result = publishResult(await orchestrator.dispatch(envelope));
  return event.messageId === undefined ? result : redeliveriesAsDuplicates(orchestrator.repository, result);
}

/**
 * The orchestrator answers `ignored` when a redelivered event finds its instance in a state that
 * ignores it (it moved on, or `ignore()`s the event there): nothing changed, rightly, but the caller asked
 * whether this message id was taken, and it was. An instance whose history holds the id makes that
 * saga's result `duplicate`. Only for ids the caller chose: a new id cannot be a redelivery.
 */
async function redeliveriesAsDuplicates(repository: SagaRepository, result: PublishResult): Promise<PublishResult> {
  if (!result.sagas.some((s) => s.result === 'ignored' && s.correlationId !== null)) return result;
  const sagas = await Promise.all(
    result.sagas.map(async (s): Promise<SagaResult> => {
      if (s.result !== 'ignored' || s.correlationId === null) return s;
      const record = await repository.findByCorrelation(s.saga, s.correlationId);
      if (record === null || !(await repository.history(record.id)).some((h) => h.messageId === result.messageId)) return s;
      return { ...s, result: 'duplicate', instanceId: record.id, state: null, reason: null };
    }),
  );
  return { ...result, outcome: outcomeOf(sagas), sagas };
}

function orchestratorOf(ops: SagaOperations): SagaOrchestrator {
  if (ops.orchestrator === undefined) throw new OrchestratorRequiredError('publishing events through the ingress');
  return ops.orchestrator;
}

async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new RequestBodyError(415, 'send the event as JSON (Content-Type: application/json)');
  }
  try {
    return JSON.parse(await c.req.text());
  } catch {
    throw new RequestBodyError(400, 'the body is not JSON');
  }
}

function limit(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: (c) => respond(c, problem(413, PAYLOAD_TOO_LARGE, `the body is over the limit of ${maxSize} bytes`)),
  });
}

function definedLimits(options: IngressOptions): Partial<typeof DEFAULT_INGRESS_LIMITS> {
  const out: Record<string, number> = {};
  for (const key of ['maxBodyBytes', 'maxBatchBytes', 'maxBatchEvents'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`ingress.${key} must be a positive integer, got ${String(value)}`);
    out[key] = value;
  }
  return out;
}

/**
 * The event definitions the ingress takes, for the OpenAPI document: every event (not command) of the
 * sagas `ops` knows by name, once each, sorted.
 *
 * @example
 * ingressEventTypes(new SagaOperations({ repository, sagas: [OrderSaga] })).map((e) => e.name); // ['InventoryReserved', 'OrderCreated', ...]
 */
export function ingressEventTypes(ops: SagaOperations): readonly MessageDefinition[] {
  const byName = new Map<string, MessageDefinition>();
  for (const name of ops.sagaNames) {
    for (const event of ops.saga(name).events.values()) if (event.message.kind === 'event') byName.set(event.message.name, event.message);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
