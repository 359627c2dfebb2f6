/**
 * docs/troubleshooting.md lists every error code the package exports, and every exported error class,
 * and nothing else: the list is derived from the entry points, so a new error cannot go undocumented.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import * as core from '../../src/index.ts';
import * as http from '../../src/http/index.ts';
import * as client from '../../src/client/index.ts';
import * as prisma from '../../src/prisma/index.ts';
import * as rabbitmq from '../../src/rabbitmq/index.ts';
import * as testing from '../../src/testing/index.ts';

const entryPoints = { sagaflow: core, 'sagaflow/http': http, 'sagaflow/client': client, 'sagaflow/prisma': prisma, 'sagaflow/rabbitmq': rabbitmq, 'sagaflow/testing': testing };
const exported = Object.values(entryPoints).flatMap((module) => Object.values(module as Record<string, unknown>));

/** Every exported code constant (`SCHEMA_MISSING = 'SAGA_SCHEMA_MISSING'`, …). */
const codes = new Set(exported.filter((v): v is string => typeof v === 'string' && /^SAGA_[A-Z0-9_]+$/.test(v)));
/** Every exported error class below `SagaflowError`. */
const classes = new Set(
  exported.filter((v): v is typeof core.SagaflowError => typeof v === 'function' && v.prototype instanceof core.SagaflowError).map((c) => c.name),
);

async function rows(): Promise<{ code: string; thrownAs: string }[]> {
  const text = await readFile(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8');
  return [...text.matchAll(/^\| `(SAGA_[A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => ({ code: m[1]!, thrownAs: m[2]!.trim() }));
}

describe('docs/troubleshooting.md', () => {
  it('has a row for every exported error code, and none for a code that is not exported', async () => {
    const documented = (await rows()).map((r) => r.code);
    expect(codes.size).toBeGreaterThan(30);
    expect([...codes].filter((code) => !documented.includes(code)).sort()).toEqual([]);
    expect(documented.filter((code) => !codes.has(code))).toEqual([]);
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('names every exported error class', async () => {
    const named = new Set((await rows()).map((r) => /^`(\w+)`$/.exec(r.thrownAs)?.[1]).filter(Boolean));
    expect([...classes].filter((name) => !named.has(name)).sort()).toEqual([]);
  });
});
