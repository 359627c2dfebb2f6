/**
 * @module ops/diagram
 *
 * A saga's state diagram in the format an operator asked for: Mermaid (what the dashboard renders),
 * DOT (Graphviz), or the XState machine config as JSON (for the Stately inspector and other XState
 * tools). Pure.
 */
import type { CompiledSaga } from '../core/compiled-saga.ts';
import { toMachine } from '../core/to-machine.ts';
import { toMermaid } from '../core/to-mermaid.ts';
import { toDot } from './to-dot.ts';

export const DIAGRAM_FORMATS = Object.freeze(['mermaid', 'dot', 'json'] as const);
export type DiagramFormat = (typeof DIAGRAM_FORMATS)[number];

/**
 * The diagram as text; `highlight` marks a state (the one an instance is in) in Mermaid and DOT.
 *
 * @example
 * renderDiagram(OrderSaga.compiled, 'dot', 'AwaitingPayment');
 * JSON.parse(renderDiagram(OrderSaga.compiled, 'json')).states.AwaitingPayment.on.PaymentProcessed;
 */
export function renderDiagram(compiled: CompiledSaga, format: DiagramFormat, highlight?: string): string {
  const options = highlight === undefined ? {} : { highlight };
  switch (format) {
    case 'mermaid':
      return toMermaid(compiled, options);
    case 'dot':
      return toDot(compiled, options);
    case 'json':
      return JSON.stringify(machineConfig(compiled), null, 2);
  }
}

/**
 * The machine's config as plain data. Guards and actions are referred to by name there already; the
 * context factory is a function, which JSON leaves out, so it is described by the saga's initial data.
 */
export function machineConfig(compiled: CompiledSaga): unknown {
  const { config } = toMachine(compiled);
  return JSON.parse(JSON.stringify({ ...config, context: { data: compiled.definition.initialData() } }));
}
