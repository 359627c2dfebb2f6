/**
 * @module telemetry/pino
 * Sagaflow logs through its small `Logger` port (`log(level, fields)`); applications usually have a
 * pino logger (or one shaped like it: `info(obj, msg)` and friends). `fromPino` adapts one to the
 * other, and every option that takes a logger accepts either shape. Secrets: configure pino's own
 * `redact` (Sagaflow's fields are `payload`, `data`, `error`, `envelope`…); `jsonLogger` has the same
 * option for its output.
 */
import type { LogFields, Logger, LogLevel } from '../host/logger.ts';

type LogMethod = (obj: Record<string, unknown>, msg?: string) => void;

/** The part of a pino logger Sagaflow uses (bunyan's and others' have the same shape). */
export interface PinoLike {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
  child?(bindings: Record<string, unknown>): PinoLike;
}

/** Either logger shape: Sagaflow's `Logger` or a pino-like one. */
export type AnyLogger = Logger | PinoLike;

/**
 * A `Logger` writing to a pino logger: `msg` becomes pino's message, the other fields its object, and
 * an `error` field is passed as `err` so pino's error serializer writes its type, message and stack.
 *
 * @example
 * import pino from 'pino';
 * const logger = fromPino(pino({ redact: ['payload.card'] }));
 * new SagaOrchestrator({ sagas: [OrderSaga], logger });
 */
export function fromPino(pino: PinoLike): Logger {
  return {
    log(level: LogLevel, fields: LogFields) {
      const { msg, error, ...rest } = fields;
      const obj: Record<string, unknown> = error === undefined ? rest : { ...rest, err: error };
      pino[level](obj, msg);
    },
    child(bindings) {
      return typeof pino.child === 'function' ? fromPino(pino.child({ ...bindings })) : withBindings(this, bindings);
    },
  };
}

/**
 * The `Logger` for either shape (`undefined` stays `undefined`): one with `info`, `warn` and `error`
 * methods is taken for pino-like, otherwise it must have `log(level, fields)`.
 *
 * @throws TypeError for anything else
 * @example
 * const logger = toLogger(options.logger) ?? jsonLogger();
 */
export function toLogger(logger: AnyLogger): Logger;
export function toLogger(logger: AnyLogger | undefined): Logger | undefined;
export function toLogger(logger: AnyLogger | undefined): Logger | undefined {
  if (logger === undefined) return undefined;
  const l = logger as Partial<PinoLike & Logger>;
  if (typeof l.info === 'function' && typeof l.warn === 'function' && typeof l.error === 'function') {
    if (typeof l.debug !== 'function') throw new TypeError('logger: a pino-like logger needs debug, info, warn and error methods');
    return fromPino(logger as PinoLike);
  }
  if (typeof l.log === 'function') return logger as Logger;
  throw new TypeError('logger: pass a pino logger (debug/info/warn/error methods) or a Sagaflow Logger (a log(level, fields) method)');
}

function withBindings(logger: Logger, bindings: Readonly<Record<string, unknown>>): Logger {
  return {
    log: (level, fields) => logger.log(level, { ...bindings, ...fields }),
    child: (more) => withBindings(logger, { ...bindings, ...more }),
  };
}
