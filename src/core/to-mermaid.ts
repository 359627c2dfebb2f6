/**
 * @module core/to-mermaid
 * Renders a saga as a Mermaid `stateDiagram-v2`.
 */
import type { CompiledSaga } from './compiled-saga.ts';
import { INITIAL_STATE } from '../dsl/activities.ts';

/** Mermaid ids allow only word characters; names that clash once sanitised get a numeric suffix. */
function mermaidIds(states: readonly string[]): Map<string, string> {
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const state of states) {
    const base = state.replace(/[^A-Za-z0-9_]/g, '_');
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
    taken.add(id);
    ids.set(state, id);
  }
  return ids;
}

/** Edge and note labels end at a line break or `;`, and `:`/`#` start syntax: all become spaces. */
function labelEscape(text: string): string {
  return text.replace(/[:;#\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
}

/** A state's display name inside `state "..." as id`: no quote or line break can end the string early. */
function nameEscape(text: string): string {
  return labelEscape(text).replace(/"/g, "'");
}

/**
 * @example
 * console.log(OrderSaga.toMermaid());
 * // stateDiagram-v2
 * //   [*] --> Initial
 * //   Initial --> AwaitingPayment: OrderCreated
 */
export function toMermaid(compiled: CompiledSaga, options: { highlight?: string } = {}): string {
  const ids = mermaidIds(compiled.states);
  const idOf = (state: string) => ids.get(state) ?? state;
  const lines = ['stateDiagram-v2'];
  for (const state of compiled.states) {
    if (idOf(state) !== state) lines.push(`  state "${nameEscape(state)}" as ${idOf(state)}`);
  }
  lines.push(`  [*] --> ${idOf(INITIAL_STATE)}`);
  const seen = new Set<string>();
  for (const edge of compiled.edges) {
    if (edge.ignore) continue;
    const parts = [edge.event];
    const conditions = [edge.guardLabel, ...edge.conditions.map((c) => (c.expect ? c.label : `not ${c.label}`))].filter(Boolean);
    if (conditions.length) parts.push(`[${conditions.join(' and ')}]`);
    if (edge.fault) parts.push(`catch ${edge.fault.name}`);
    if (edge.compensate) parts.push('/ compensate');
    const line = `  ${idOf(edge.from)} --> ${idOf(edge.target ?? edge.from)}: ${labelEscape(parts.join(' '))}`;
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  for (const state of compiled.finalStates) lines.push(`  ${idOf(state)} --> [*]`);
  // A join's composite is an ordinary edge above; the note says where it comes from.
  for (const [name, join] of compiled.definition.joins) {
    const at = compiled.states.find((state) => compiled.table.get(state)?.get(name)?.some((h) => !h.ignore));
    if (at !== undefined) lines.push(`  note right of ${idOf(at)} : ${labelEscape(`${name} = join of ${join.events.map((e) => e.name).join(' + ')}`)}`);
  }
  // Only a state of this definition is marked, by its sanitised id: the name comes from a request (an
  // instance's stored state, perhaps from an older definition) and must never become Mermaid source.
  if (options.highlight !== undefined && ids.has(options.highlight)) {
    lines.push('  classDef current fill:#f9d71c,stroke:#333,stroke-width:2px');
    lines.push(`  class ${idOf(options.highlight)} current`);
  }
  return lines.join('\n');
}
