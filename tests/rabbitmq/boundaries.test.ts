import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = new URL('../../src/', import.meta.url).pathname;
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'generated' ? [] : files(join(dir, e.name))) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('package boundaries', () => {
  it('keeps amqplib out of everything but sagaflow/rabbitmq', () => {
    const offenders = files(src)
      .map((f) => relative(src, f))
      .filter((f) => !f.startsWith('rabbitmq/'))
      .filter((f) => /from ['"](amqplib|(\.\.\/)+rabbitmq\/|\.\/rabbitmq\/)/.test(readFileSync(join(src, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('keeps ioredis out of everything but sagaflow/redis, and the NATS client out of everything but sagaflow/nats', () => {
    const importing = (pattern: RegExp, home: string) =>
      files(src)
        .map((f) => relative(src, f))
        .filter((f) => !f.startsWith(home))
        .filter((f) => pattern.test(readFileSync(join(src, f), 'utf8')));
    expect(importing(/from ['"](ioredis|(\.\.\/)+redis\/|\.\/redis\/)/, 'redis/')).toEqual([]);
    expect(importing(/(from ['"]|import\(['"])(@nats-io\/|(\.\.\/)+nats\/|\.\/nats\/)/, 'nats/')).toEqual([]);
  });
});
