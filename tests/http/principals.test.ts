/**
 * Named principals and their roles on the HTTP API: who may read, who may act, who may only publish,
 * and what a misconfigured list is told. Runs against a real PostgreSQL store.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidTokenError, SagaOperations } from '../../src/index.ts';
import { checkServeOptions } from '../../src/cli/serve-command.ts';
import {
  createSagaflowApi,
  loadPrincipalsFile,
  parsePrincipals,
  permissionFor,
  serveSagaflow,
  type PrincipalConfig,
  type SagaflowApi,
} from '../../src/http/index.ts';
import { createPrismaRepository, type PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { OrderSaga, seed, TransferSaga, type Seeded } from '../ops/fixtures.ts';

const OPERATOR = 'operator-token-0123456789';
const VIEWER = 'viewer-token-0123456789ab';
const INGRESS = 'ingress-token-0123456789a';
const principals: PrincipalConfig[] = [
  { name: 'alice', role: 'operator', token: OPERATOR },
  { name: 'grafana', role: 'viewer', tokenSha256: createHash('sha256').update(VIEWER).digest('hex') },
  { name: 'stripe-webhook', role: 'ingress', token: INGRESS },
];

let db: TestDatabase;
let repository: PrismaSagaRepository;
let seeded: Seeded;
let api: SagaflowApi;

beforeAll(async () => {
  db = await createTestDatabase();
  repository = await createPrismaRepository({ databaseUrl: db.url, cache: false });
  seeded = await seed(repository);
  api = createSagaflowApi(new SagaOperations({ repository, sagas: [OrderSaga, TransferSaga] }), { principals, dashboard: false });
});

afterAll(async () => {
  await api.close();
  await repository.close();
  await db.drop();
});

async function call(token: string | undefined, path: string, method = 'GET'): Promise<{ status: number; body: any }> {
  // Actions say why (recorded in the audit trail); reads have no body.
  const body = method === 'GET' ? undefined : JSON.stringify({ reason: 'test' });
  const response = await api.request(path, { method, headers: token === undefined ? {} : { Authorization: `Bearer ${token}` }, ...(body && { body }) });
  return { status: response.status, body: await response.json() };
}

describe('principals and roles', () => {
  it('tells each caller who it is, by the principal its token names (also a hashed token)', async () => {
    expect((await call(OPERATOR, '/api/meta')).body.principal).toEqual({ name: 'alice', role: 'operator' });
    expect((await call(VIEWER, '/api/meta')).body.principal).toEqual({ name: 'grafana', role: 'viewer' });
    expect((await call(undefined, '/api/meta')).status).toBe(401);
    expect((await call('not-a-token-of-anyone', '/api/meta')).body.error.code).toBe('SAGA_UNAUTHORIZED');
  });

  it('lets a viewer read but not act, and an operator act', async () => {
    const letter = `/api/dead-letters/${seeded.unknownLetter}`;
    expect((await call(VIEWER, letter)).status).toBe(200);
    const refused = await call(VIEWER, letter, 'DELETE');
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'SAGA_FORBIDDEN' } } });
    expect(refused.body.error.message).toContain('grafana has the viewer role');
    expect((await call(VIEWER, letter)).status).toBe(200);
    expect(await call(OPERATOR, letter, 'DELETE')).toMatchObject({ status: 200 });
    expect((await call(OPERATOR, letter)).status).toBe(404);
  });

  it('lets an ingress principal read nothing', async () => {
    for (const path of ['/api/meta', '/api/instances', `/api/dead-letters/${seeded.unknownLetter}`]) {
      expect(await call(INGRESS, path)).toMatchObject({ status: 403, body: { error: { code: 'SAGA_FORBIDDEN' } } });
    }
    expect(await call(INGRESS, `/api/dead-letters/${seeded.unknownLetter}/replay`, 'POST')).toMatchObject({ status: 403 });
  });

  it('needs "ingest" for routes under /api/ingress/, "act" for other changes, "read" for reads', () => {
    expect(permissionFor('POST', '/api/ingress/events')).toBe('ingest');
    expect(permissionFor('POST', '/sagaflow/api/ingress/events/batch')).toBe('ingest');
    expect(permissionFor('DELETE', '/api/dead-letters/x')).toBe('act');
    expect(permissionFor('HEAD', '/api/instances')).toBe('read');
  });

  it('refuses a list it cannot use, without echoing a token', async () => {
    const bad = (text: string) => {
      try {
        parsePrincipals(text, 'SAGAFLOW_PRINCIPALS');
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidTokenError);
        expect((error as InvalidTokenError).code).toBe('SAGA_TOKEN_INVALID');
        return (error as Error).message;
      }
      throw new Error(`accepted ${text}`);
    };
    expect(bad('not json')).toContain('not JSON');
    expect(bad('[]')).toContain('SAGAFLOW_PRINCIPALS');
    const short = bad('[{"name":"a","role":"operator","token":"short-secret"}]');
    expect(short).toContain('16');
    expect(short).not.toContain('short-secret');
    expect(bad('[{"name":"a","role":"admin","token":"0123456789abcdefg"}]')).toContain('role');
    expect(bad(JSON.stringify([{ name: 'a', role: 'viewer', token: OPERATOR }, { name: 'a', role: 'viewer', token: VIEWER }]))).toContain('two principals are named a');
    expect(bad(JSON.stringify([{ name: 'a', role: 'viewer', token: OPERATOR }, { name: 'b', role: 'operator', token: OPERATOR }]))).toContain('same token');
    expect(bad('[{"name":"a b","role":"viewer","token":"0123456789abcdefg"}]')).toContain('name');
  });

  it('reads principals from a file or SAGAFLOW_PRINCIPALS, never both, and counts them as a token on a network address', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sagaflow-principals-'));
    const file = join(dir, 'principals.json');
    await writeFile(file, JSON.stringify(principals));
    expect((await loadPrincipalsFile(file)).map((p) => p.name)).toEqual(['alice', 'grafana', 'stripe-webhook']);
    await expect(loadPrincipalsFile(join(dir, 'missing.json'))).rejects.toThrow(/ENOENT/);
    const checked = await checkServeOptions({ port: 0, host: '0.0.0.0', principalsFile: file });
    expect(checked.principals?.length).toBe(3);
    await expect(checkServeOptions({ port: 0, host: '0.0.0.0', principalsFile: file, principalsJson: '[]' })).rejects.toThrow(InvalidTokenError);
    await expect(checkServeOptions({ port: 0, host: '0.0.0.0' })).rejects.toMatchObject({ code: 'SAGA_SERVER_INSECURE' });

    const server = await serveSagaflow({ ops: new SagaOperations({ repository, sagas: [OrderSaga] }), port: 0, host: '0.0.0.0', principals, dashboard: false });
    try {
      expect(server.tokenRequired).toBe(true);
      const answer = await fetch(`${server.url}/api/meta`, { headers: { Authorization: `Bearer ${VIEWER}` } });
      expect(((await answer.json()) as { principal: unknown }).principal).toEqual({ name: 'grafana', role: 'viewer' });
    } finally {
      await server.close();
    }
  });

  it('keeps read-only above every role', async () => {
    const readOnly = createSagaflowApi(new SagaOperations({ repository, sagas: [OrderSaga] }), { principals, readOnly: true, dashboard: false });
    try {
      const response = await readOnly.request(`/api/dead-letters/${seeded.unknownLetter}`, { method: 'DELETE', headers: { Authorization: `Bearer ${OPERATOR}` } });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('SAGA_READ_ONLY');
    } finally {
      await readOnly.close();
    }
  });
});
