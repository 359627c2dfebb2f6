/**
 * @module http/openapi
 *
 * The OpenAPI 3.1 description of the API, generated from the route table (`http/route-table`) with
 * `z.toJSONSchema`, so the document says exactly what the routes validate. With the event definitions
 * the sagas use, the ingress's body is described per event type: `{ type: 'OrderCreated', payload: <its
 * schema> }`, one alternative each. Pure: `GET /api/openapi.json` serves what this returns.
 */
import { z } from 'zod';
import type { MessageDefinition } from '../messages/message-definition.ts';
import { INGRESS_PREFIX, permissionFor } from './auth.ts';
import { ProblemSchema } from './ingress-schemas.ts';
import { PROBLEM_JSON } from './problem.ts';
import type { RouteSpec } from './route-table.ts';

export interface OpenApiOptions {
  readonly routes: readonly RouteSpec[];
  /** The event types the ingress takes, with their schemas. */
  readonly events?: readonly MessageDefinition[];
  readonly version: string;
}

type Json = Record<string, unknown>;

/** Statuses every route may answer: a bad query, no token, a role without the permission, a wrong Host, a failure. */
const COMMON_ERRORS = [400, 401, 403, 421, 500] as const;

const REASONS: Readonly<Record<number, string>> = {
  400: 'The request is malformed (`SAGA_BAD_REQUEST`, `SAGA_CURSOR_INVALID`)',
  401: 'No token, or a token of nobody (`SAGA_UNAUTHORIZED`)',
  403: "The caller's role does not allow it, the API is read-only, or the request came from another site",
  404: 'No such thing',
  409: 'Not in the state it is in, or this server has no orchestrator (`SAGA_ORCHESTRATOR_REQUIRED`)',
  413: 'The body, the payload or the batch is over its limit (`SAGA_PAYLOAD_TOO_LARGE`, `SAGA_BATCH_TOO_LARGE`)',
  415: 'The body is not declared as JSON',
  421: 'The Host header is not one this server answers to (`SAGA_HOST_NOT_ALLOWED`)',
  422: 'Understood but refused (an invalid payload: `SAGA_PAYLOAD_INVALID`; an unknown event; a failed action)',
  500: 'Unexpected: `SAGA_INTERNAL` with an `errorId` the server logged',
  503: 'The store failed in a way that may pass: retry',
};

/**
 * @example
 * const doc = openApiDocument({ routes: API_ROUTES, events: [OrderCreated, PaymentProcessed], version: '0.1.0' });
 * doc.paths['/api/ingress/events'].post.requestBody;
 */
export function openApiDocument(options: OpenApiOptions): Json {
  const paths: Record<string, Json> = {};
  for (const route of options.routes) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method]: operation(route, options.events ?? []) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sagaflow API',
      version: options.version,
      description: 'Operations and ingress for Sagaflow sagas. Errors are application/problem+json with a stable `code` (docs/troubleshooting.md).',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A principal\'s token; its role (viewer, operator, ingress) decides which routes it may call' } },
      schemas: { Problem: schemaOf(ProblemSchema, 'output') },
    },
  };
}

function operation(route: RouteSpec, events: readonly MessageDefinition[]): Json {
  const parameters = [...pathParameters(route.path), ...queryParameters(route.query)];
  const errors = [...new Set([...COMMON_ERRORS, ...(route.errors ?? [])])].sort();
  const responses: Json = { 200: success(route) };
  for (const status of errors) {
    responses[status] = { description: REASONS[status] ?? 'Error', content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.description !== undefined && { description: route.description }),
    'x-sagaflow-permission': permissionFor(route.method.toUpperCase(), route.path),
    ...(parameters.length > 0 && { parameters }),
    ...(route.body !== undefined && {
      requestBody: { required: true, content: { 'application/json': { schema: bodySchema(route, events) } } },
    }),
    responses,
  };
}

function success(route: RouteSpec): Json {
  if (route.produces !== undefined) return { description: route.summary, content: { [route.produces]: { schema: { type: 'string' } } } };
  const schema = route.response !== undefined ? schemaOf(route.response, 'output') : { type: 'object' };
  return { description: route.description ?? route.summary, content: { 'application/json': { schema } } };
}

/** The ingress's body, with one alternative per known event type; the route's own schema otherwise. */
function bodySchema(route: RouteSpec, events: readonly MessageDefinition[]): Json {
  const generic = schemaOf(route.body!, 'input');
  if (events.length === 0 || !route.path.startsWith(INGRESS_PREFIX)) return generic;
  const perType = (single: Json): Json => ({
    oneOf: events.map((e) => ({ ...single, properties: { ...(single.properties as Json), type: { type: 'string', const: e.name }, payload: schemaOf(e.schema, 'input') } })),
  });
  const properties = generic.properties as Record<string, Json>;
  // The batch: `{ events: [event, ...] }`, each item one of the alternatives.
  if (properties.events?.items !== undefined) {
    return { ...generic, properties: { ...properties, events: { ...properties.events, items: perType(properties.events.items as Json) } } };
  }
  return perType(generic);
}

function pathParameters(path: string): Json[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
}

function queryParameters(query: z.ZodType | undefined): Json[] {
  if (query === undefined) return [];
  const schema = schemaOf(query, 'input');
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries((schema.properties as Record<string, Json> | undefined) ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
  }));
}

/**
 * A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect). What JSON Schema cannot say (a Date, a
 * transform's output) becomes `{}`: the document stays valid, the route still validates.
 */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  try {
    const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
    return json;
  } catch {
    return {};
  }
}

function operationId(route: RouteSpec): string {
  const words = route.path
    .replace(/^\/api\//, '')
    .split(/[/.-]/)
    .filter(Boolean)
    .map((w) => (w.startsWith(':') ? `by-${w.slice(1)}` : w));
  return [route.method, ...words].map((w, i) => (i === 0 ? w : w.replace(/(^|-)([a-z])/g, (_, _d, c: string) => c.toUpperCase()))).join('');
}
