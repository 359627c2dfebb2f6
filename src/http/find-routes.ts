/**
 * @module http/find-routes
 *
 * The API routes for finding things (docs/operations.md, "HTTP API"): search by business data with a
 * total, stuck instances, dead letters counted by reason and type, per-saga throughput. Read-only, so
 * they pass the read-only guard; every parameter is validated here and every data condition again by
 * the store's filter check (`InvalidFilterError`, 400).
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { deadLetterCounts, throughput } from '../ops/console-stats.ts';
import { defined } from '../ops/defined.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import { searchInstances } from '../ops/search.ts';
import { findStuck, type StuckPolicy } from '../ops/stuck.ts';
import { FILTER_LIMITS } from '../repository/instance-filter.ts';
import { SagaStatus } from '../repository/types.ts';

const text = z.string().min(1).max(400);
const statuses = Object.values(SagaStatus) as [SagaStatus, ...SagaStatus[]];
const iso = z.string().max(40).optional();
const ms = (max: number) => z.coerce.number().int().min(1).max(max);

export const SearchQuery = z.object({
  saga: text.optional(),
  state: text.optional(),
  status: z
    .string()
    .transform((s) => s.split(',').map((part) => part.trim()).filter(Boolean))
    .pipe(z.array(z.enum(statuses)))
    .optional(),
  correlationId: text.optional(),
  prefix: text.optional(),
  definitionVersion: z.coerce.number().int().min(1).optional(),
  createdAfter: iso,
  createdBefore: iso,
  updatedAfter: iso,
  updatedBefore: iso,
  staleForMs: z.coerce.number().int().min(0).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: text.optional(),
});

/** `where` repeats: one data condition each. */
const Where = z.array(z.string().min(1).max(400)).max(FILTER_LIMITS.conditions);

export const StuckQueryParams = z.object({
  saga: text.optional(),
  olderThanMs: ms(365 * 86_400_000).optional(),
  leaseMs: ms(86_400_000).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

export const ThroughputQuery = z.object({ windowMs: z.coerce.number().int().min(1000).max(7 * 86_400_000).default(3_600_000) });

/**
 * Adds the finding routes to the API app (before `/api/dead-letters/:id`, which would take `counts`).
 *
 * @example
 * registerFindRoutes(api, ops, { olderThanMs: 3_600_000, sagas: { order: { states: { AwaitingPayment: 86_400_000 } } } });
 */
export function registerFindRoutes(api: Hono, ops: SagaOperations, stuckPolicy: StuckPolicy = {}): void {
  api.get('/api/search', async (c) => {
    const q = SearchQuery.parse(c.req.query());
    const where = Where.parse(c.req.queries('where') ?? []);
    const { prefix, saga, ...rest } = q;
    return c.json(await searchInstances(ops, defined({ ...rest, saga, correlationIdPrefix: prefix, where: where.length ? where : undefined })));
  });
  api.get('/api/stuck', async (c) => {
    const q = StuckQueryParams.parse(c.req.query());
    // The query's thresholds, when given, replace the server's own.
    return c.json(await findStuck(ops, { ...stuckPolicy, ...defined({ saga: q.saga, olderThanMs: q.olderThanMs, compensationLeaseMs: q.leaseMs, limit: q.limit }) }));
  });
  api.get('/api/dead-letters/counts', async (c) => c.json(await deadLetterCounts(ops)));
  api.get('/api/throughput', async (c) => c.json(await throughput(ops, ThroughputQuery.parse(c.req.query()).windowMs)));
}
