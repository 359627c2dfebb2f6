/**
 * The OpenAPI description: served at `GET /api/openapi.json` to readers, valid OpenAPI 3.1 (checked
 * against the specification's own JSON Schema), with a row for every route the hono app registers, and
 * the ingress's body described per event type from the sagas' own zod schemas.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySagaRepository, SagaOperations, SagaOrchestrator } from '../../src/index.ts';
import { API_ROUTES, createSagaflowApi, openApiDocument, type SagaflowApi } from '../../src/http/index.ts';
import { CheckoutSaga, CheckoutStarted } from './ingress-fixtures.ts';

const VIEWER = 'viewer-token-h19a-openapi-0';
const INGRESS = 'ingress-token-h19a-openapi-0';

let api: SagaflowApi;
let orchestrator: SagaOrchestrator;
let doc: any;

beforeAll(async () => {
  const repository = new InMemorySagaRepository();
  orchestrator = new SagaOrchestrator({ sagas: [CheckoutSaga], repository });
  api = createSagaflowApi(new SagaOperations({ repository, sagas: [CheckoutSaga], orchestrator }), {
    principals: [
      { name: 'grafana', role: 'viewer', token: VIEWER },
      { name: 'psp', role: 'ingress', token: INGRESS },
    ],
  });
  const response = await api.request('/api/openapi.json', { headers: { Authorization: `Bearer ${VIEWER}` } });
  expect(response.status).toBe(200);
  doc = await response.json();
});

afterAll(async () => {
  await api.close();
  await orchestrator.close();
});

/** `GET /api/instances/:id` → `get /api/instances/{id}`. */
const key = (method: string, path: string) => `${method.toLowerCase()} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`;

describe('GET /api/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every API route the app registers, and no other', () => {
    const registered = new Set(api.routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/')).map((r) => key(r.method, r.path)));
    const described = new Set(Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)));
    expect(registered.size).toBeGreaterThan(15);
    // A route missing here needs its row in API_ROUTES (src/http/route-table.ts): one line.
    expect([...registered].filter((r) => !described.has(r)).sort(), 'routes without a row in API_ROUTES').toEqual([]);
    expect([...described].filter((d) => !registered.has(d)).sort()).toEqual([]);
  });

  it('takes its query parameters from the zod schemas the routes validate with', () => {
    const list = doc.paths['/api/instances'].get;
    const limit = list.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit).toMatchObject({ in: 'query', required: false });
    expect(limit.schema).toMatchObject({ minimum: 1, maximum: 1000 });
    expect(list.parameters.find((p: { name: string }) => p.name === 'order').schema.enum).toEqual(['asc', 'desc']);
    expect(doc.paths['/api/instances/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(list['x-sagaflow-permission']).toBe('read');
    // Answers of the instance routes, from schemas the compiler checks against the views.
    const page = list.responses['200'].content['application/json'].schema;
    expect(page.properties.items.items.required).toEqual(expect.arrayContaining(['id', 'sagaName', 'correlationId', 'state', 'status', 'version']));
    const detail = doc.paths['/api/instances/{id}'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(detail.properties)).toEqual(['instance', 'history', 'historyBefore']);
    expect(doc.paths['/api/dead-letters/{id}'].delete['x-sagaflow-permission']).toBe('act');
  });

  it('describes the ingress body per event type, with the event schemas, and errors as problem+json', () => {
    const post = doc.paths['/api/ingress/events'].post;
    expect(post['x-sagaflow-permission']).toBe('ingest');
    const alternatives = post.requestBody.content['application/json'].schema.oneOf as any[];
    expect(alternatives.map((a) => a.properties.type.const)).toEqual(['CheckoutStarted', 'Heartbeat', 'PaymentSucceeded']);
    const started = alternatives.find((a) => a.properties.type.const === CheckoutStarted.name);
    expect(started.properties.payload).toMatchObject({ type: 'object', properties: { currency: { enum: ['EUR', 'USD'] } }, required: ['amount', 'currency'] });
    const batch = doc.paths['/api/ingress/events/batch'].post.requestBody.content['application/json'].schema;
    expect(batch.properties.events.items.oneOf).toHaveLength(3);
    expect(post.responses['200'].content['application/json'].schema.properties.outcome.enum).toEqual(['handled', 'duplicate', 'ignored']);
    expect(post.responses['422'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(doc.components.schemas.Problem.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'error']));
  });

  it('is for readers: an ingress-only token may not fetch it', async () => {
    const refused = await api.request('/api/openapi.json', { headers: { Authorization: `Bearer ${INGRESS}` } });
    expect(refused.status).toBe(403);
    expect((await api.request('/api/openapi.json')).status).toBe(401);
  });

  it('stays valid with event schemas JSON Schema cannot express (dates, transforms)', async () => {
    const { defineEvent } = await import('../../src/index.ts');
    const { z } = await import('zod');
    const odd = defineEvent('Odd', z.object({ at: z.date(), n: z.string().transform(Number), big: z.bigint().optional() }));
    const result = await new Validator().validate(openApiDocument({ routes: API_ROUTES, events: [odd], version: '0.0.0' }) as never);
    expect(result.valid).toBe(true);
  });
});
