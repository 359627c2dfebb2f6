/**
 * @module http/view-schemas
 *
 * The instance views the API answers with (`ops/views`), as zod schemas for the OpenAPI document only:
 * answers are not validated at run time. The assignments at the bottom make the compiler check that
 * these describe the TypeScript views, so the document cannot drift from what the routes send.
 */
import { z } from 'zod';
import type { InstanceDetail, InstanceSummary } from '../ops/views.ts';

const isoTime = z.string().describe('ISO-8601');

export const InstanceSummarySchema = z.object({
  id: z.string(),
  sagaName: z.string(),
  correlationId: z.string(),
  state: z.string(),
  status: z.string(),
  version: z.number().int(),
  definitionVersion: z.number().int(),
  createdAt: isoTime,
  updatedAt: isoTime,
  completedAt: isoTime.nullable(),
  error: z.object({ code: z.string(), message: z.string(), step: z.string().optional(), at: isoTime }).nullable(),
  removed: z.literal(true).optional(),
});

export const InstancePageSchema = z.object({ items: z.array(InstanceSummarySchema), nextCursor: z.string().nullable() });

export const InstanceDetailSchema = z.object({
  instance: InstanceSummarySchema.extend({
    data: z.unknown(),
    dataVersion: z.number().int(),
    compensation: z.array(z.object({ name: z.string(), args: z.unknown(), attempts: z.number().int() })),
    schedules: z.array(z.object({ key: z.string(), token: z.string(), type: z.string(), dueAt: isoTime })),
  }),
  history: z.array(
    z.object({
      sequence: z.number().int(),
      messageId: z.string(),
      eventType: z.string(),
      stateBefore: z.string().nullable(),
      stateAfter: z.string(),
      payload: z.unknown(),
      at: isoTime,
      sent: z.array(z.object({ messageId: z.string(), type: z.string(), kind: z.enum(['publish', 'send', 'schedule']) })),
    }),
  ),
  historyBefore: z.number().int().nullable(),
});

// Both ways: a field the view gains or loses without its schema fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const summaryAgrees: Same<z.infer<typeof InstanceSummarySchema>, Omit<InstanceSummary, never>> = true;
const detailAgrees: InstanceDetail = {} as z.infer<typeof InstanceDetailSchema>;
void summaryAgrees;
void detailAgrees;
