/**
 * @module http/repair-routes
 *
 * The API routes of an operator's repairs and the audit trail (docs/operations.md, "Repairs"): send,
 * transition, cancel, retry a compensation, replay or discard a dead letter, the same in bulk by filter,
 * and the audit listing. Each action takes a JSON body with the `reason`; the principal the guard let
 * through is recorded with it. Mounted by `createSagaflowApi` in one line, before its catch-all 404.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { storeFilter } from '../ops/search.ts';
import { z } from 'zod';
import { defined } from '../ops/defined.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import { principalOf } from './auth.ts';
import { BAD_REQUEST, problem, respond } from './problem.ts';
import { AuditQuery, BulkDeadLettersBody, BulkInstancesBody, CancelBody, ReasonBody, SendBody, TransitionBody } from './repair-bodies.ts';

/** Largest action body: an event's payload fits well within it (the orchestrator's default limit is 256 KiB). */
export const MAX_ACTION_BODY = 256 * 1024;

/**
 * @example
 * api.route('/', repairRoutes(ops));
 */
export function repairRoutes(ops: SagaOperations): Hono {
  const app = new Hono();
  // Who acts, read before the body limit runs: that middleware may replace the request object the
  // guard filed the principal under.
  const actors = new WeakMap<Context, string>();
  app.use('/api/*', async (c, next) => {
    actors.set(c, principalOf(c).name);
    await next();
  });
  const actor = (c: Context, body: { readonly reason?: string | undefined }) => ({ principal: actors.get(c) ?? principalOf(c).name, reason: body.reason ?? '' });
  const limit = bodyLimit({
    maxSize: MAX_ACTION_BODY,
    onError: (c) => respond(c, problem(413, BAD_REQUEST, `the request body is larger than ${MAX_ACTION_BODY} bytes`)),
  });
  app.use('/api/instances/*', limit);
  app.use('/api/dead-letters/*', limit);
  app.use('/api/bulk/*', limit);

  // What the dashboard's repair forms offer: the declared states, and each event with its JSON schema.
  app.get('/api/sagas/:name/repair', (c) => c.json(repairForm(ops, c.req.param('name'))));

  app.post('/api/instances/:id/send', async (c) => {
    const body = await read(c, SendBody);
    return c.json(await ops.repair.send(c.req.param('id'), defined({ type: body.type, payload: body.payload, expectedVersion: body.expectedVersion }), actor(c, body)));
  });
  app.post('/api/instances/:id/transition', async (c) => {
    const body = await read(c, TransitionBody);
    return c.json(await ops.repair.transition(c.req.param('id'), defined({ state: body.state, patch: body.patch, expectedVersion: body.expectedVersion }), actor(c, body)));
  });
  app.post('/api/instances/:id/cancel', async (c) => {
    const body = await read(c, CancelBody);
    return c.json(await ops.repair.cancel(c.req.param('id'), defined({ expectedVersion: body.expectedVersion }), actor(c, body)));
  });
  app.post('/api/instances/:id/retry-compensation', async (c) => {
    const body = await read(c, ReasonBody);
    const { audit, ...result } = await ops.repair.retryCompensation(c.req.param('id'), actor(c, body));
    return c.json({ result, audit });
  });
  app.post('/api/dead-letters/:id/replay', async (c) => c.json(await ops.repair.replayDeadLetter(c.req.param('id'), actor(c, await read(c, ReasonBody)))));
  app.delete('/api/dead-letters/:id', async (c) => c.json(await ops.repair.discardDeadLetter(c.req.param('id'), actor(c, await read(c, ReasonBody)))));

  // One route per action (not a pattern), so that each is a path of its own in the OpenAPI description.
  for (const action of ['cancel', 'retry-compensation'] as const) {
    app.post(`/api/bulk/instances/${action}`, async (c) => {
      const body = await read(c, BulkInstancesBody);
      const { prefix, ...search } = body.filter;
      const filter = storeFilter(defined({ ...search, correlationIdPrefix: prefix }), ops.clock.now());
      return c.json(await ops.repair.bulk.instances(action, filter, defined({ dryRun: body.dryRun, expectCount: body.expectCount }), actor(c, body)));
    });
  }
  for (const action of ['replay', 'discard'] as const) {
    app.post(`/api/bulk/dead-letters/${action}`, async (c) => {
      const body = await read(c, BulkDeadLettersBody);
      const filter = defined({ reason: body.filter.reason, sagaName: body.filter.saga, messageType: body.filter.type });
      return c.json(await ops.repair.bulk.deadLetters(action, filter, defined({ dryRun: body.dryRun, expectCount: body.expectCount }), actor(c, body)));
    });
  }

  app.get('/api/audit', async (c) => c.json(await ops.repair.auditTrail(defined(AuditQuery.parse(c.req.query())))));
  return app;
}

/** The JSON body, validated; an empty body is `{}` (a missing reason is then the operations' typed error). */
async function read<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim().length > 0) {
    try {
      value = JSON.parse(text);
    } catch {
      // Answered as 400 SAGA_BAD_REQUEST (problemOf), without echoing the body.
      throw new RangeError('the request body is not JSON');
    }
  }
  return schema.parse(value);
}

function repairForm(ops: SagaOperations, name: string) {
  const saga = ops.saga(name);
  const events = [...saga.events.entries()].map(([type, event]) => ({ type, schema: jsonSchema(event.message.schema) }));
  return { saga: name, states: saga.states.filter((s) => s !== 'Initial'), finalStates: [...saga.finalStates], events };
}

/** The event's schema for a form; `null` when zod cannot express it as JSON Schema (a transform, say). */
function jsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return null;
  }
}
