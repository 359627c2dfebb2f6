/**
 * @module dsl/compensation-definition
 * A compensation is registered by name with serialisable arguments, never as a closure, so that the
 * LIFO stack can be stored with the instance and unwound after a restart.
 */
import type { z } from 'zod';

export interface CompensationDefinition<Name extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly kind: 'compensation';
  readonly name: Name;
  readonly schema: Schema;
}

/**
 * Declares a compensation's name and argument schema, so `ctx.compensation.add` is typed.
 *
 * @example
 * const RefundPayment = defineCompensation('refundPayment', z.object({ transactionId: z.string() }));
 * // in an action:   ctx.compensation.add(RefundPayment, { transactionId: 'tx-1' });
 * // on the saga:    .compensation(RefundPayment, async (args) => payments.refund(args.transactionId))
 */
export function defineCompensation<const Name extends string, Schema extends z.ZodType>(
  name: Name,
  schema: Schema,
): CompensationDefinition<Name, Schema> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('a compensation needs a non-empty name');
  return Object.freeze({ kind: 'compensation', name, schema });
}
