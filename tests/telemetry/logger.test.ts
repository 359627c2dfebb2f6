/**
 * The pluggable logger: a real pino logger writing to a captured stream receives what the orchestrator
 * and the worker host log; `jsonLogger` hides the values at its `redact` paths.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineCompensation,
  defineEvent,
  defineSaga,
  fromPino,
  jsonLogger,
  redactor,
  SagaOrchestrator,
  toLogger,
  WorkerHost,
  type Logger,
} from '../../src/index.ts';

/** pino writing JSON lines into an array. */
function capturedPino(options: pino.LoggerOptions = {}) {
  const lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  const logger = pino({ level: 'debug', ...options }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const PINO = { debug: 20, info: 30, warn: 40, error: 50 };

const Opened = defineEvent('Opened', z.object({}));
const Broke = defineEvent('Broke', z.object({}));
const Flaky = defineEvent('Flaky', z.object({}));
const Undo = defineCompensation('undo', z.object({}));
const FragileSaga = defineSaga('fragile', { data: z.object({}), states: ['Open', 'Closed'] })
  .initially((s) => s.when(Opened).then((ctx) => ctx.compensation.add(Undo, {})).transitionTo('Open'))
  .during('Open', (s) =>
    s
      .when(Flaky)
      .then(() => {
        throw new Error('always fails');
      })
      .when(Broke)
      .compensate()
      .transitionTo('Closed')
      .finalize(),
  )
  .compensation(Undo, () => {
    throw new Error('undo failed');
  });

describe('a pino logger on the orchestrator', () => {
  it('receives compensation failures (error), retries (debug), exhausted retries and dead letters (warn)', async () => {
    const { logger, lines } = capturedPino();
    const orchestrator = new SagaOrchestrator({ sagas: [FragileSaga], logger, retry: { maxRetries: 1, immediateRetries: 1 } });
    await orchestrator.publish(Opened, {}, { correlationId: 'f-1' });
    await orchestrator.receive({
      kind: 'event',
      type: 'Flaky',
      messageId: 'm-flaky',
      correlationId: 'f-1',
      payload: {},
      timestamp: new Date().toISOString(),
      headers: {},
    });
    await orchestrator.publish(Broke, {}, { correlationId: 'f-1' });

    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [PINO.debug, 'retrying'],
      [PINO.warn, 'retries exhausted'],
      [PINO.warn, 'dead-lettered'],
      [PINO.error, 'compensation failed'],
    ]);
    expect(lines[0]).toMatchObject({ saga: 'fragile', type: 'Flaky', messageId: 'm-flaky', reason: 'action', attempt: 1, code: 'SAGA_ACTION_FAILED' });
    expect(lines[2]).toMatchObject({ saga: 'fragile', reason: 'retries-exhausted', code: 'SAGA_RETRIES_EXHAUSTED', correlationId: 'f-1' });
    // The error goes as `err`, so pino's serializer writes its type, message and stack.
    expect(lines[3]).toMatchObject({ saga: 'fragile', correlationId: 'f-1', step: 'undo', err: { type: 'Error', message: 'undo failed' } });
    expect(String((lines[3]!.err as { stack?: unknown }).stack)).toContain('undo failed');
  });

  it('logs errors nobody else receives, such as a throwing observer, instead of writing to the console', async () => {
    const { logger, lines } = capturedPino();
    const orchestrator = new SagaOrchestrator({
      sagas: [FragileSaga],
      logger,
      observers: [
        {
          created: () => {
            throw new Error('observer bug');
          },
        },
      ],
    });
    await orchestrator.publish(Opened, {}, { correlationId: 'f-2' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: PINO.error, err: { message: 'observer bug' } });
  });

  it('keeps pino features: child bindings and its own redact paths', () => {
    const { logger, lines } = capturedPino({ redact: ['payload.password'] });
    fromPino(logger).child!({ worker: 'w-1' }).log('info', { msg: 'handled', payload: { user: 'ann', password: 'hunter2' } });
    expect(lines[0]).toMatchObject({ level: PINO.info, msg: 'handled', worker: 'w-1', payload: { user: 'ann', password: '[Redacted]' } });
  });

  it('is taken by the worker host too', async () => {
    const { logger, lines } = capturedPino();
    const orchestrator = new SagaOrchestrator({ sagas: [FragileSaga], subscribe: false, relay: false });
    const host = new WorkerHost({ orchestrator, logger, handleSignals: false, name: 'w-test' });
    await host.start();
    await host.stop();
    expect(lines.map((l) => l.msg)).toEqual(['worker started', 'worker stopping', 'worker stopped']);
    expect(lines[0]).toMatchObject({ level: PINO.info, worker: 'w-test', types: ['Opened', 'Flaky', 'Broke'] });
  });
});

describe('toLogger', () => {
  it('takes a Sagaflow Logger as it is and refuses what is neither shape', () => {
    const mine: Logger = { log: () => {} };
    expect(toLogger(mine)).toBe(mine);
    expect(() => toLogger({ info: () => {} } as never)).toThrow(/log\(level, fields\)/);
    expect(() => toLogger({ info: () => {}, warn: () => {}, error: () => {} } as never)).toThrow(/debug, info, warn and error/);
  });
});

describe('jsonLogger redaction', () => {
  it('writes [REDACTED] at the redact paths, wildcards included, without changing the caller’s objects', () => {
    const lines: string[] = [];
    const logger = jsonLogger({ write: (line) => lines.push(line), redact: ['data.card', 'payload.password', '*.token', 'items.*.secret'] });
    const fields = {
      msg: 'handled',
      data: { card: '4242 4242 4242 4242', total: 10 },
      payload: { user: 'ann', password: 'hunter2' },
      auth: { token: 't-1', scheme: 'bearer' },
      session: { token: 't-2' },
      items: [{ secret: 's-1', sku: 'A' }, { sku: 'B' }],
    };
    const before = structuredClone(fields);
    logger.log('info', fields);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info',
      msg: 'handled',
      data: { card: '[REDACTED]', total: 10 },
      payload: { user: 'ann', password: '[REDACTED]' },
      auth: { token: '[REDACTED]', scheme: 'bearer' },
      session: { token: '[REDACTED]' },
      items: [{ secret: '[REDACTED]', sku: 'A' }, { sku: 'B' }],
    });
    expect(fields).toEqual(before);
  });

  it('redacts bindings of a child, and leaves lines without those paths as they were', () => {
    const lines: string[] = [];
    const logger = jsonLogger({ write: (line) => lines.push(line), redact: ['auth.token'] }).child!({ auth: { token: 'bound' } });
    logger.log('warn', { msg: 'x', error: new Error('boom') });
    expect(JSON.parse(lines[0]!)).toMatchObject({ auth: { token: '[REDACTED]' }, error: { name: 'Error', message: 'boom' } });
    const plain = { msg: 'y', n: 1 };
    expect(redactor(['auth.token'])(plain)).toBe(plain);
  });

  it('refuses a path with an empty segment', () => {
    expect(() => jsonLogger({ redact: ['data..card'] })).toThrow(RangeError);
  });
});
