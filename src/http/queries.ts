/**
 * @module http/queries
 *
 * The API's query strings, validated with zod into the operations layer's filters. Unknown parameters
 * are ignored (a cache-busting `_=` must not break a call); known ones must be well formed.
 */
import { z } from 'zod';
import { CommandStatus, DeadLetterReason, SagaStatus } from '../repository/types.ts';
import { DIAGRAM_FORMATS } from '../ops/diagram.ts';

const text = z.string().min(1);
const statuses = Object.values(SagaStatus) as [SagaStatus, ...SagaStatus[]];
const reasons = Object.values(DeadLetterReason) as [DeadLetterReason, ...DeadLetterReason[]];
const limit = z.coerce.number().int().min(1).max(1000);

export const InstancesQuery = z.object({
  saga: text.optional(),
  state: text.optional(),
  status: z
    .string()
    .transform((s) => s.split(',').map((part) => part.trim()).filter(Boolean))
    .pipe(z.array(z.enum(statuses)))
    .optional(),
  correlationId: text.optional(),
  definitionVersion: z.coerce.number().int().min(1).optional(),
  staleForMs: z.coerce.number().int().min(0).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  limit: limit.default(50),
  cursor: text.optional(),
});

export const InstanceQuery = z.object({
  historyLimit: limit.optional(),
  historyBefore: z.coerce.number().int().min(1).max(2 ** 31 - 1).optional(),
});

export const DeadLettersQuery = z.object({
  reason: z.enum(reasons).optional(),
  saga: text.optional(),
  type: text.optional(),
  limit: limit.default(50),
  cursor: text.optional(),
});

const commandStatuses = Object.values(CommandStatus) as [CommandStatus, ...CommandStatus[]];

export const CommandsQuery = z.object({
  status: z.enum(commandStatuses).optional(),
  type: text.optional(),
  correlationId: text.optional(),
  limit: limit.default(50),
  cursor: text.optional(),
});

export const StatsQuery = z.object({ saga: text.optional() });

export const DiagramQuery = z.object({
  format: z.enum(DIAGRAM_FORMATS).default('mermaid'),
  highlight: text.optional(),
});
