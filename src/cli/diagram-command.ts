/**
 * @module cli/diagram-command
 *
 * `sagaflow diagram <saga> --format mermaid|dot|json`: the saga's state diagram, from its definition
 * (so it needs `--sagas`). Paste Mermaid into a Markdown file, pipe DOT to `dot -Tsvg`, load JSON into
 * XState tools.
 */
import type { DiagramFormat } from '../ops/diagram.ts';
import type { SagaOperations } from '../ops/saga-operations.ts';
import type { CliIo } from './io.ts';

/**
 * @example
 * await diagramCommand(ops, 'order', { format: 'dot', highlight: 'AwaitingPayment' }, processIo);
 * @returns the exit code
 */
export async function diagramCommand(
  ops: SagaOperations,
  saga: string,
  options: { readonly format: DiagramFormat; readonly highlight?: string },
  io: CliIo,
): Promise<number> {
  io.out(ops.diagram(saga, options.format, options.highlight));
  return 0;
}
