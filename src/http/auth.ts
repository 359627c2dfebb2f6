/**
 * @module http/auth
 *
 * Authentication and authorisation for `/api/*`. A bearer token names a principal (`http/principals`);
 * each route needs a permission (`permissionFor`) that the principal's role must grant. Tokens are
 * compared in constant time. `GET /api/events` also takes the token as `?access_token=`, since a
 * browser's EventSource cannot send headers; nothing else does, so tokens stay out of ordinary URLs and logs.
 *
 * Without principals or a token (a loopback server) the caller is `anonymous` with the operator role;
 * a single `token` is the principal `token`, operator too. `readOnly` refuses everything but reads,
 * whoever asks.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { allows, authenticator, type Permission, type Principal, type PrincipalConfig } from './principals.ts';
import { FORBIDDEN, problem, READ_ONLY, respond, UNAUTHORIZED } from './problem.ts';

// A context variable under a key of ours, set and read through casts: the app stays a plain `Hono` a user
// can mount anywhere, without widening their context's types. Not keyed by the request object, which a
// body limit replaces.
const PRINCIPAL = 'sagaflow.principal' as never;

/** Routes under this prefix publish events into sagas: the ingress role may call them and nothing else. */
export const INGRESS_PREFIX = '/api/ingress/';

/**
 * @example
 * permissionFor('GET', '/api/instances'); // 'read'
 * permissionFor('POST', '/api/ingress/events'); // 'ingest'
 * permissionFor('POST', '/api/instances/i-1/cancel'); // 'act'
 */
export function permissionFor(method: string, path: string): Permission {
  if (path.includes(INGRESS_PREFIX)) return 'ingest';
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'read' : 'act';
}

const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', role: 'operator' });
const SINGLE_TOKEN = 'token';

export interface GuardOptions {
  /** One token for one operator principal named `token`. Not together with `principals`. */
  readonly token?: string | undefined;
  readonly principals?: readonly PrincipalConfig[] | undefined;
  readonly readOnly?: boolean | undefined;
}

/**
 * @example
 * app.use('/api/*', guard({ principals: await loadPrincipalsFile('/run/secrets/principals.json') }));
 */
export function guard(options: GuardOptions): MiddlewareHandler {
  // An empty token was refused where it was configured (checkToken): here it would mean "no auth".
  const configured: PrincipalConfig[] = [...(options.principals ?? [])];
  if (options.token !== undefined) configured.push({ name: SINGLE_TOKEN, role: 'operator', token: options.token });
  const auth = configured.length > 0 ? authenticator(configured) : undefined;
  return async (c, next) => {
    let principal = ANONYMOUS;
    if (auth !== undefined) {
      const given = presentedToken(c);
      const found = given === undefined ? undefined : auth.principalFor(given);
      if (found === undefined) {
        c.header('WWW-Authenticate', 'Bearer realm="sagaflow"');
        return respond(
          c,
          problem(401, UNAUTHORIZED, given === undefined ? 'this API needs a token: send Authorization: Bearer <token>' : 'the token is not valid'),
        );
      }
      principal = found;
    }
    const needed = permissionFor(c.req.method, c.req.path);
    if (options.readOnly && needed !== 'read') {
      return respond(c, problem(403, READ_ONLY, 'this API is read-only (started with readOnly / --read-only): actions are disabled'));
    }
    if (!allows(principal.role, needed)) {
      return respond(c, problem(403, FORBIDDEN, `principal ${principal.name} has the ${principal.role} role, which may not ${VERBS[needed]}`));
    }
    c.set(PRINCIPAL, principal as never);
    await next();
  };
}

const VERBS: Readonly<Record<Permission, string>> = { read: 'read', act: 'act on instances or dead letters', ingest: 'publish events' };

function presentedToken(c: Context): string | undefined {
  const header = c.req.header('authorization') ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  const fromQuery = c.req.method === 'GET' && c.req.path.endsWith('/api/events') ? c.req.query('access_token') : undefined;
  return bearer ?? fromQuery;
}

/** The principal the guard let through (for audit records). */
export function principalOf(c: Context): Principal {
  return (c.get(PRINCIPAL) as Principal | undefined) ?? ANONYMOUS;
}
