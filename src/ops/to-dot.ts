/**
 * @module ops/to-dot
 *
 * Renders a compiled saga as a Graphviz DOT digraph, the twin of `core/to-mermaid`: the same edges and
 * labels, for tools that speak DOT (`dot -Tsvg`). Pure: a string from a definition.
 */
import type { CompiledSaga } from '../core/compiled-saga.ts';
import type { Edge } from '../core/edges.ts';
import { INITIAL_STATE } from '../dsl/activities.ts';

/** DOT double-quoted ids take any text once quotes and backslashes are escaped. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function edgeLabel(edge: Edge): string {
  const parts = [edge.event];
  const conditions = [edge.guardLabel, ...edge.conditions.map((c) => (c.expect ? c.label : `not ${c.label}`))].filter(Boolean);
  if (conditions.length) parts.push(`[${conditions.join(' and ')}]`);
  if (edge.fault) parts.push(`catch ${edge.fault.name}`);
  if (edge.compensate) parts.push('/ compensate');
  return parts.join(' ');
}

/**
 * @example
 * console.log(toDot(OrderSaga.compiled, { highlight: 'AwaitingPayment' }));
 * // digraph "order" {
 * //   rankdir=LR;
 * //   "__start" [shape=point];
 * //   "__start" -> "Initial";
 * //   "Initial" -> "AwaitingPayment" [label="OrderCreated"];
 * //   ...
 */
export function toDot(compiled: CompiledSaga, options: { highlight?: string } = {}): string {
  const lines = [`digraph ${quote(compiled.name)} {`, '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  lines.push('  "__start" [shape=point, label=""];');
  for (const state of compiled.states) {
    const attributes: string[] = [];
    if (compiled.finalStates.has(state)) attributes.push('peripheries=2');
    if (state === options.highlight) attributes.push('style="rounded,filled"', 'fillcolor="#f9d71c"', 'penwidth=2');
    lines.push(`  ${quote(state)}${attributes.length ? ` [${attributes.join(', ')}]` : ''};`);
  }
  lines.push(`  "__start" -> ${quote(INITIAL_STATE)};`);
  const seen = new Set<string>();
  for (const edge of compiled.edges) {
    if (edge.ignore) continue;
    const line = `  ${quote(edge.from)} -> ${quote(edge.target ?? edge.from)} [label=${quote(edgeLabel(edge))}];`;
    if (seen.has(line)) continue;
    seen.add(line);
    lines.push(line);
  }
  lines.push('}');
  return lines.join('\n');
}
