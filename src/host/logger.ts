/**
 * @module host/logger
 * Structured logs: one JSON object per line, so a log pipeline can filter by saga, correlation id and
 * message id without parsing prose.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogFields {
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Logger {
  log(level: LogLevel, fields: LogFields): void;
}

/**
 * Writes `{"time":…,"level":…,"msg":…,…}` lines to `write` (default stdout).
 *
 * @example
 * jsonLogger().log('info', { msg: 'handled', saga: 'order', correlationId: 'o-1', messageId: 'm-1' });
 */
export function jsonLogger(options: { write?: (line: string) => void; minLevel?: LogLevel } = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const min = RANK[options.minLevel ?? 'info'];
  return {
    log(level, fields) {
      if (RANK[level] < min) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, ...fields }, errorsAsText));
    },
  };
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** An Error serialises as `{}`; keep its name, code and message. */
function errorsAsText(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(typeof code === 'string' && { code }) };
  }
  return value;
}
