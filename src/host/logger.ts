/**
 * @module host/logger
 * Structured logs: one JSON object per line, so a log pipeline can filter by saga, correlation id and
 * message id without parsing prose. Secrets are kept out with `redact` paths; a pino logger can be used
 * instead (`fromPino`, or pass it where a `Logger` is taken).
 */
import { redactor } from '../telemetry/redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogFields {
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Logger {
  log(level: LogLevel, fields: LogFields): void;
  /** A logger that adds `bindings` to every line (pino's `child`). */
  child?(bindings: Readonly<Record<string, unknown>>): Logger;
}

export interface JsonLoggerOptions {
  /** Where each line goes. Default: stdout. */
  readonly write?: (line: string) => void;
  /** Lines below this level are dropped. Default `'info'`. */
  readonly minLevel?: LogLevel;
  /**
   * Paths whose values are written as `[REDACTED]`, such as `['payload.password', 'data.card', '*.token']`
   * (`*`: any key at that level). Compiled once.
   */
  readonly redact?: readonly string[];
}

/**
 * Writes `{"time":…,"level":…,"msg":…,…}` lines to `write` (default stdout), with the values at the
 * `redact` paths replaced.
 *
 * @example
 * const logger = jsonLogger({ redact: ['payload.card'] });
 * logger.log('info', { msg: 'handled', saga: 'order', correlationId: 'o-1', payload: { card: '4242…' } });
 * // {"time":"…","level":"info","msg":"handled","saga":"order","correlationId":"o-1","payload":{"card":"[REDACTED]"}}
 */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const min = RANK[options.minLevel ?? 'info'];
  const hide = redactor(options.redact ?? []);
  const make = (bindings: Readonly<Record<string, unknown>>): Logger => ({
    log(level, fields) {
      if (RANK[level] < min) return;
      write(JSON.stringify(hide({ time: new Date().toISOString(), level, ...bindings, ...fields }), errorsAsText));
    },
    child: (more) => make({ ...bindings, ...more }),
  });
  return make({});
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
