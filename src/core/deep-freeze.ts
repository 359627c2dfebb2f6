/**
 * @module core/deep-freeze
 * Compensation entries are shared, immutable values once registered: the in-memory store keeps and hands
 * out the same stack rather than copying it per event, which is only safe if nobody can change it.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}


const NO_ENTRIES: readonly never[] = Object.freeze([]);

/**
 * A compensation stack that may be shared: the same array when it is deeply frozen already (the
 * orchestrator passes stacks on unchanged from one write to the next), otherwise a frozen deep copy.
 */
export function frozenStack<E extends { readonly args: unknown }>(stack: readonly E[]): readonly E[] {
  // The orchestrator freezes a stack only after freezing its entries and their arguments deeply.
  if (Object.isFrozen(stack) && stack.every(Object.isFrozen)) return stack;
  // One empty stack for every instance that has none, rather than an empty array each.
  if (stack.length === 0) return NO_ENTRIES as readonly E[];
  return Object.freeze(stack.map((e) => Object.freeze({ ...e, args: deepFreeze(structuredClone(e.args)) })));
}
