/**
 * @module http/repair-bodies
 *
 * The JSON bodies of the repair routes, validated with zod (a malformed one is a 400 `SAGA_BAD_REQUEST`
 * before anything is read). The reason is checked again, with its own typed error, by the operations.
 */
import { z } from 'zod';
import { DeadLetterReason, SagaStatus } from '../repository/types.ts';

const text = z.string().min(1).max(200);
const reason = z.string().max(1000).optional();
const expectedVersion = z.number().int().min(1).optional();
const statuses = Object.values(SagaStatus) as [SagaStatus, ...SagaStatus[]];
const letterReasons = Object.values(DeadLetterReason) as [DeadLetterReason, ...DeadLetterReason[]];

export const ReasonBody = z.object({ reason });

export const SendBody = z.object({ type: text, payload: z.unknown(), reason, expectedVersion });

export const TransitionBody = z.object({
  state: text,
  patch: z.record(z.string(), z.unknown()).optional(),
  reason,
  expectedVersion,
});

export const CancelBody = z.object({ reason, expectedVersion });

const bulkOptions = { reason, dryRun: z.boolean().optional(), expectCount: z.number().int().min(0).optional() };

const iso = z.string().max(40).optional();

/** The filter of a search (`GET /api/search`, `ops/search`): what a bulk action takes is what a search showed. */
export const BulkInstancesBody = z.object({
  filter: z
    .object({
      saga: text.optional(),
      state: text.optional(),
      status: z.array(z.enum(statuses)).optional(),
      correlationId: text.optional(),
      prefix: text.optional(),
      definitionVersion: z.number().int().min(1).optional(),
      where: z.array(z.string().min(1).max(400)).max(8).optional(),
      createdAfter: iso,
      createdBefore: iso,
      updatedAfter: iso,
      updatedBefore: iso,
      staleForMs: z.number().int().min(0).optional(),
    })
    .default({}),
  ...bulkOptions,
});

export const BulkDeadLettersBody = z.object({
  filter: z.object({ reason: z.enum(letterReasons).optional(), saga: text.optional(), type: text.optional() }).default({}),
  ...bulkOptions,
});

export const AuditQuery = z.object({
  saga: text.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).optional(),
});
