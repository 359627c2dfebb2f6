/**
 * @module http/ingress-schemas
 *
 * The ingress's request and answer bodies as zod schemas: the routes validate requests with them and
 * the OpenAPI document is generated from them. The answers' TypeScript shapes live in `client/types`
 * (the client cannot load zod); the assignments at the bottom make the compiler check that both agree.
 */
import { z } from 'zod';
import type { BatchResult, PublishResult } from '../client/types.ts';

/** Ids and types are bounded: they are keys in the store and in every log line. */
const MAX_ID = 200;

const id = z.string().min(1).max(MAX_ID);

export const IngressEvent = z.strictObject({
  type: id.refine((t) => !t.startsWith('sagaflow.'), { message: "the 'sagaflow.' prefix is reserved for Sagaflow's own messages" }),
  /** Validated against the event's own schema by the orchestrator, which answers 422 SAGA_PAYLOAD_INVALID. */
  payload: z.unknown(),
  correlationId: id.optional(),
  messageId: id.optional(),
});
export type IngressEvent = z.infer<typeof IngressEvent>;

export const IngressBatch = z.strictObject({ events: z.array(IngressEvent).min(1) });

export const SagaResultSchema = z.object({
  saga: z.string(),
  correlationId: z.string().nullable(),
  result: z.enum(['applied', 'duplicate', 'ignored']),
  instanceId: z.string().nullable(),
  state: z.string().nullable(),
  status: z.string().nullable(),
  created: z.boolean().nullable(),
  reason: z.string().nullable(),
});

export const PublishResultSchema = z.object({
  outcome: z.enum(['handled', 'duplicate', 'ignored']),
  messageId: z.string(),
  type: z.string(),
  sagas: z.array(SagaResultSchema),
});

export const ProblemErrorSchema = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

/** Every error answer of the API (`http/problem`): RFC 9457 members and the `error` object. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  error: ProblemErrorSchema,
});

export const BatchResultSchema = z.object({
  results: z.array(z.union([PublishResultSchema.extend({ index: z.number().int() }), z.object({ index: z.number().int(), error: ProblemErrorSchema })])),
});

// Compile-time agreement with the client's types: a field added on one side only fails here.
const publishAgrees: PublishResult = {} as z.infer<typeof PublishResultSchema>;
const batchAgrees: BatchResult = {} as z.infer<typeof BatchResultSchema>;
void publishAgrees;
void batchAgrees;
