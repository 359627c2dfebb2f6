/**
 * @module http/route-table
 *
 * Every route of the API as data: method, path, what it does, and the zod schemas its query and body
 * are validated with. The OpenAPI document (`http/openapi`) is generated from this table, and a test
 * checks that every route the hono app registers has its row here. Adding a route is one row:
 *
 * ```ts
 * { method: 'post', path: '/api/instances/:id/cancel', summary: 'Cancel an instance', body: CancelBody },
 * ```
 */
import { z } from 'zod';
import { CommandsQuery, DeadLettersQuery, DiagramQuery, InstanceQuery, InstancesQuery, StatsQuery } from './queries.ts';
import { BatchResultSchema, IngressBatch, IngressEvent, PublishResultSchema } from './ingress-schemas.ts';
import { InstanceDetailSchema, InstancePageSchema } from './view-schemas.ts';
import { AuditQuery, BulkDeadLettersBody, BulkInstancesBody, CancelBody, ReasonBody, SendBody, TransitionBody } from './repair-bodies.ts';
import { SearchQuery, StuckQueryParams, ThroughputQuery } from './find-routes.ts';

export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec {
  readonly method: RouteMethod;
  /** hono's form, `/api/instances/:id`; path parameters are strings. */
  readonly path: string;
  readonly summary: string;
  /** More words: the answer's shape, where docs/operations.md tells it. */
  readonly description?: string;
  readonly query?: z.ZodType;
  /** A JSON request body. */
  readonly body?: z.ZodType;
  /** The 200 answer's JSON body; an object of the shape `description` names when left out. */
  readonly response?: z.ZodType;
  /** What the 200 answer is when it is not JSON. */
  readonly produces?: 'text/plain' | 'text/event-stream';
  /** Error statuses beyond the ones every route may answer (400, 401, 403, 421, 500). */
  readonly errors?: readonly number[];
}

const Page = z.object({ items: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().nullable() });
const Meta = z.object({
  readOnly: z.boolean(),
  version: z.string(),
  principal: z.object({ name: z.string(), role: z.enum(['viewer', 'operator', 'ingress']) }),
});

/** The rows, in the order docs/operations.md lists the routes. */
export const API_ROUTES: readonly RouteSpec[] = [
  { method: 'get', path: '/api/meta', summary: 'Who the caller is, whether the API is read-only, and the version', response: Meta },
  { method: 'get', path: '/api/openapi.json', summary: 'This OpenAPI 3.1 description of the API' },
  { method: 'get', path: '/api/sagas', summary: 'Every saga with counts per state and definition version', description: '`{ sagas: SagaOverview[] }` (docs/operations.md)' },
  { method: 'get', path: '/api/sagas/:name/diagram', summary: "A saga's diagram (Mermaid, DOT, or the XState config as JSON)", query: DiagramQuery, produces: 'text/plain', errors: [404] },
  { method: 'get', path: '/api/stats', summary: 'Instances per saga, state and status', query: StatsQuery, description: '`{ counts: [{ sagaName, state, status, count }] }`' },
  {
    method: 'get',
    path: '/api/search',
    summary: 'Instances by business data and more, with the total that match',
    description: '`{ items: InstanceSummary[], nextCursor, total }`. `where` repeats, one data condition each (`data.customerId = c-42`, `data.total > 100`; at most 8); a condition that does not parse is 400 `SAGA_FILTER_INVALID` (docs/operations.md, "Search by business data").',
    query: SearchQuery.extend({ where: z.string().optional() }),
  },
  {
    method: 'get',
    path: '/api/stuck',
    summary: 'Instances nothing will move: idle, compensation failed, compensation lease run out',
    description: '`{ total, counts: [{ sagaName, kind, count }], items: (InstanceSummary & { kind, thresholdMs })[] }`',
    query: StuckQueryParams,
  },
  { method: 'get', path: '/api/throughput', summary: 'Per saga over the last window: events applied, compensated, failed', description: '`{ since, windowMs, sagas: [{ sagaName, applied, compensated, compensationFailed, deadLettered, failed }] }`', query: ThroughputQuery },
  { method: 'get', path: '/api/instances', summary: 'A page of instances, newest update first', query: InstancesQuery, response: InstancePageSchema },
  { method: 'get', path: '/api/instances/:id', summary: 'One instance with a page of its history', query: InstanceQuery, response: InstanceDetailSchema, errors: [404] },
  { method: 'post', path: '/api/instances/:id/retry-compensation', summary: 'Resume a failed compensation (needs an orchestrator), recorded', body: ReasonBody, description: '`{ result: { steps, error, instance }, audit }`', errors: [404, 409, 422] },
  { method: 'get', path: '/api/sagas/:name/repair', summary: "What a repair form needs: the saga's states and the JSON Schemas of its events and data", errors: [404] },
  { method: 'post', path: '/api/instances/:id/send', summary: 'Deliver an event to one instance, recorded (operator)', body: SendBody, description: '`{ dispatch, audit }` (docs/operations.md, "Repairs and the audit trail")', errors: [404, 409, 422] },
  { method: 'post', path: '/api/instances/:id/transition', summary: 'Move an instance to a declared state, with an optional data patch, recorded (operator)', body: TransitionBody, description: '`{ instance, audit }`', errors: [404, 409, 422] },
  { method: 'post', path: '/api/instances/:id/cancel', summary: 'Compensate now and fault, recorded (operator)', body: CancelBody, description: '`{ result, audit }`', errors: [404, 409, 422] },
  { method: 'post', path: '/api/bulk/instances/cancel', summary: 'Cancel every instance a filter matches: a dry run without expectCount', body: BulkInstancesBody, errors: [409, 422] },
  { method: 'post', path: '/api/bulk/instances/retry-compensation', summary: 'Retry the compensation of every instance a filter matches: a dry run without expectCount', body: BulkInstancesBody, errors: [409, 422] },
  { method: 'post', path: '/api/bulk/dead-letters/replay', summary: 'Replay every dead letter a filter matches: a dry run without expectCount', body: BulkDeadLettersBody, errors: [409, 422] },
  { method: 'post', path: '/api/bulk/dead-letters/discard', summary: 'Discard every dead letter a filter matches: a dry run without expectCount', body: BulkDeadLettersBody, errors: [409, 422] },
  { method: 'get', path: '/api/audit', summary: "Operators' actions across instances, newest first", query: AuditQuery, description: '`{ items: AuditEntry[], nextCursor }`' },
  { method: 'get', path: '/api/commands', summary: 'A page of handled commands, newest first', query: CommandsQuery, response: Page },
  { method: 'get', path: '/api/commands/:id', summary: 'One handled command', description: '`{ command }`', errors: [404] },
  { method: 'get', path: '/api/dead-letters', summary: 'A page of dead letters, oldest first', query: DeadLettersQuery, response: Page },
  { method: 'get', path: '/api/dead-letters/count', summary: 'How many dead letters match', query: DeadLettersQuery.pick({ reason: true, saga: true, type: true }), response: z.object({ count: z.number().int() }) },
  { method: 'get', path: '/api/dead-letters/counts', summary: 'Dead letters counted by reason, type and saga', description: '`{ total, byReason: [{ reason, count }], byType: [{ type, count }], groups: [{ reason, type, saga, count }] }`' },
  { method: 'get', path: '/api/dead-letters/:id', summary: 'One dead letter with its envelope', description: '`{ deadLetter }`', errors: [404] },
  { method: 'post', path: '/api/dead-letters/:id/replay', summary: 'Replay a dead letter, recorded', body: ReasonBody, description: "`{ result: { outcome: 'dispatched', dispatch } | { outcome: 'queued', outboxId, messageId, type }, audit }`", errors: [404, 422] },
  { method: 'delete', path: '/api/dead-letters/:id', summary: 'Discard a dead letter, recorded', body: ReasonBody, description: '`{ discarded: true, audit }`', errors: [404] },
  { method: 'get', path: '/api/events', summary: 'Server-Sent Events: instance changes (`instance`) and counts (`stats`)', produces: 'text/event-stream' },
  {
    method: 'post',
    path: '/api/ingress/events',
    summary: 'Publish one event into the sagas (ingress, operator)',
    description: 'Validated against the event\'s schema and dispatched; the answer says whether a saga applied it (`handled`), had already applied its `messageId` (`duplicate`) or ignored it.',
    body: IngressEvent,
    response: PublishResultSchema,
    errors: [409, 413, 415, 422, 503],
  },
  {
    method: 'post',
    path: '/api/ingress/events/batch',
    summary: 'Publish several events, in order (ingress, operator)',
    description: 'One result per event, in order: its outcome, or its error; one failing event does not stop the others.',
    body: IngressBatch,
    response: BatchResultSchema,
    errors: [409, 413, 415],
  },
];
