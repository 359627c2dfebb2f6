/**
 * `serveSagaflow` is safe by default: no token only on a loopback address, never an empty token, a
 * token file, only the host names it is known by (DNS rebinding), and no action from another site's
 * page (CSRF), token or not. A real server on a free port, spoken to with raw HTTP so that `Host`,
 * `Origin` and `Sec-Fetch-Site` are exactly what a browser (or an attacker) would send.
 */
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemorySagaRepository, InsecureServerError, InvalidTokenError, SagaOperations } from '../../src/index.ts';
import { isLoopbackAddress } from '../../src/http/serving-policy.ts';
import { createSagaflowApi, serveSagaflow, type SagaflowServer, type ServeSagaflowOptions } from '../../src/http/index.ts';

const TOKEN = 's3cret-token';
const servers: SagaflowServer[] = [];
const ops = new SagaOperations({ repository: new InMemorySagaRepository() });
const dir = mkdtempSync(join(tmpdir(), 'sagaflow-serving-'));

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<ServeSagaflowOptions> = {}): Promise<SagaflowServer> {
  const server = await serveSagaflow({ ops, port: 0, onError: () => {}, ...options });
  servers.push(server);
  return server;
}

/** One raw HTTP request to the server: every header as given, `Host` included. */
function send(
  server: SagaflowServer,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${server.port}`, ...options.headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // the dashboard's HTML
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function tokenFile(content: string): string {
  const path = join(dir, `token-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, content);
  return path;
}

describe('serveSagaflow: who may start it, and with what token', () => {
  it('refuses a non-loopback address without a token, naming the override, and binds nothing', async () => {
    for (const host of ['0.0.0.0', '::']) {
      const refused = serveSagaflow({ ops, port: 0, host });
      await expect(refused).rejects.toBeInstanceOf(InsecureServerError);
      await expect(refused).rejects.toMatchObject({ code: 'SAGA_SERVER_INSECURE', host });
      await expect(refused).rejects.toThrow(/--insecure-no-auth \(allowUnauthenticated: true\)/);
      await expect(refused).rejects.toThrow(/--token-file/);
    }
    // A specific port stays free: nothing listened, even for a moment.
    const probe = await start();
    const port = probe.port;
    await probe.close();
    servers.splice(0);
    await expect(serveSagaflow({ ops, port, host: '0.0.0.0' })).rejects.toBeInstanceOf(InsecureServerError);
    const again = await start({ port }); // would be EADDRINUSE had the refused one listened
    expect(again.port).toBe(port);
  });

  it('starts on every interface with a token, or with allowUnauthenticated, and tells the address it bound', async () => {
    const guarded = await start({ host: '0.0.0.0', token: TOKEN });
    expect(guarded.address).toBe(`0.0.0.0:${guarded.port}`);
    expect(guarded.port).toBeGreaterThan(0);
    expect(guarded.url).toBe(`http://127.0.0.1:${guarded.port}`);
    expect(guarded.tokenRequired).toBe(true);
    expect((await send(guarded, '/api/meta')).status).toBe(401);

    const open = await start({ host: '0.0.0.0', allowUnauthenticated: true });
    expect(open.tokenRequired).toBe(false);
    expect((await send(open, '/api/meta')).status).toBe(200);
    // On every interface it answers to every interface's address, and still not to other names.
    const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((nic) => nic.family === 'IPv4').map((nic) => nic.address));
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect([address, (await send(open, '/api/meta', { headers: { host: `${address}:${open.port}` } })).status]).toEqual([address, 200]);
    expect((await send(open, '/api/meta', { headers: { host: `evil.example:${open.port}` } })).status).toBe(421);

    const local = await start();
    expect(local.address).toBe(`127.0.0.1:${local.port}`);
    expect(local.tokenRequired).toBe(false);
    // A name is judged by what it resolves to: localhost is loopback, so no token is needed.
    const named = await start({ host: 'localhost' });
    expect(named.url).toBe(`http://localhost:${named.port}`);
    expect([isLoopbackAddress('127.0.0.2'), isLoopbackAddress('[::1]'), isLoopbackAddress('::ffff:127.0.0.1')]).toEqual([true, true, true]);
    expect([isLoopbackAddress('10.0.0.1'), isLoopbackAddress('::'), isLoopbackAddress('0.0.0.0'), isLoopbackAddress('fe80::1')]).toEqual([false, false, false, false]);
  });

  it('treats an empty token as a mistake, never as "no auth"', async () => {
    for (const token of ['', '   ', '\n']) {
      await expect(serveSagaflow({ ops, port: 0, token })).rejects.toMatchObject({ code: 'SAGA_TOKEN_INVALID' });
      await expect(serveSagaflow({ ops, port: 0, host: '0.0.0.0', token })).rejects.toBeInstanceOf(InvalidTokenError);
      expect(() => createSagaflowApi(ops, { token })).toThrow(InvalidTokenError);
    }
  });

  it('reads the token from a file, without its trailing newline; an empty, missing or doubled one is refused', async () => {
    const server = await start({ host: '0.0.0.0', tokenFile: tokenFile(`${TOKEN}\n`) });
    expect((await send(server, '/api/meta')).status).toBe(401);
    expect((await send(server, '/api/meta', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);

    await expect(start({ tokenFile: tokenFile('') })).rejects.toThrow(/token file .* is empty/);
    await expect(start({ tokenFile: tokenFile('\n') })).rejects.toMatchObject({ code: 'SAGA_TOKEN_INVALID' });
    await expect(start({ tokenFile: join(dir, 'absent') })).rejects.toThrow(/cannot read the token file .*ENOENT/);
    await expect(start({ token: TOKEN, tokenFile: tokenFile(TOKEN) })).rejects.toThrow(/either a token or a token file/);
  });
});

describe('serveSagaflow: host names (DNS rebinding)', () => {
  it('answers only to its own address and localhost, on the API and the dashboard alike', async () => {
    const server = await start();
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, 'LOCALHOST', `[::1]:${server.port}`]) {
      expect([host, (await send(server, '/api/meta', { headers: { host } })).status]).toEqual([host, 200]);
    }
    for (const host of [`evil.example:${server.port}`, 'evil.example', `127.0.0.1.evil.example:${server.port}`, 'localhost.evil.example', '10.0.0.1']) {
      for (const path of ['/api/meta', '/', '/api/events']) {
        const answer = await send(server, path, { headers: { host } });
        expect([host, path, answer.status, answer.body.error?.code]).toEqual([host, path, 421, 'SAGA_HOST_NOT_ALLOWED']);
      }
    }
    expect((await send(server, '/api/meta', { headers: { host: `evil.example:${server.port}` } })).body.error.message).toContain('--allowed-host');
  });

  it('answers to the names it is given, or to any with *', async () => {
    const named = await start({ allowedHosts: ['sagaflow.internal', 'Dash.Example.COM.'] });
    expect((await send(named, '/api/meta', { headers: { host: 'sagaflow.internal:8443' } })).status).toBe(200);
    expect((await send(named, '/api/meta', { headers: { host: 'dash.example.com' } })).status).toBe(200);
    expect((await send(named, '/api/meta', { headers: { host: 'other.internal' } })).status).toBe(421);
    const any = await start({ allowedHosts: ['*'] });
    expect((await send(any, '/api/meta', { headers: { host: 'whatever.example' } })).status).toBe(200);
  });
});

describe('HTTP API: actions from another site (CSRF)', () => {
  const replay = '/api/dead-letters/0190d3c4-0000-7000-8000-000000000000/replay';

  it('refuses a state-changing request whose Origin or Sec-Fetch-Site shows another site, token or not', async () => {
    const open = await start();
    const guarded = await start({ token: TOKEN });
    const own = (s: SagaflowServer) => `http://127.0.0.1:${s.port}`;
    for (const server of [open, guarded]) {
      const auth: Record<string, string> = server === guarded ? { authorization: `Bearer ${TOKEN}` } : {};
      for (const headers of [
        { origin: 'http://evil.example' } as Record<string, string>,
        { origin: `http://127.0.0.1:${server.port + 1}` }, // another port is another origin
        { origin: `https://127.0.0.1.evil.example:${server.port}` },
        { origin: 'null' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { 'sec-fetch-site': 'cross-site', origin: own(server) },
      ]) {
        for (const method of ['POST', 'DELETE', 'PUT', 'PATCH']) {
          const answer = await send(server, replay, { method, headers: { ...auth, ...headers } });
          expect([method, headers, answer.status, answer.body.error.code]).toEqual([method, headers, 403, 'SAGA_CROSS_SITE']);
        }
      }
    }
    // Reads are not actions: a cross-site GET is left to the browser's same-origin policy (and the token).
    expect((await send(open, '/api/meta', { headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' } })).status).toBe(200);
  });

  it('lets the dashboard\'s own page, and clients that are not browsers, act', async () => {
    const server = await start();
    const own = `http://127.0.0.1:${server.port}`;
    for (const headers of [{ origin: own, 'sec-fetch-site': 'same-origin' } as Record<string, string>, { origin: own }, { 'sec-fetch-site': 'none' }, {}]) {
      // Past the guard: the route answers (an action without a reason, which it asks for).
      const answer = await send(server, replay, { method: 'POST', headers });
      expect([headers, answer.status, answer.body.error.code]).toEqual([headers, 400, 'SAGA_REASON_REQUIRED']);
    }
    // Behind a proxy that keeps Host, an https page of that name is the same origin.
    const proxied = await start({ allowedHosts: ['dash.example.com'] });
    const answer = await send(proxied, replay, { method: 'POST', headers: { host: 'dash.example.com', origin: 'https://dash.example.com' } });
    expect(answer.status).toBe(400); // past the guard: the route asks for a reason
  });
});
