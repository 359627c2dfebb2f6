import { SagaflowError } from './sagaflow-error.ts';

export const HISTORY_FORMAT = 'SAGA_HISTORY_FORMAT';

/**
 * A line of an exported history file (`sagaflow export`) that is not a history line of a known
 * format: not JSON, a newer `format`, or a field of the wrong shape. Names the line, so the file can be
 * fixed or exported again; nothing was replayed.
 */
export class HistoryFormatError extends SagaflowError {
  /** 1-based line number in the file. */
  readonly line: number;

  constructor(line: number, problem: string, options?: { cause?: unknown }) {
    super(HISTORY_FORMAT, `line ${line} is not an exported history line: ${problem} (export it again with \`sagaflow export\`)`, options);
    this.line = line;
  }
}
