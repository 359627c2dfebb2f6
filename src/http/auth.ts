/**
 * @module http/auth
 *
 * Bearer-token authentication and read-only mode for `/api/*`. The token is compared in constant time.
 * `GET /api/events` also takes it as `?access_token=`, since a browser's EventSource cannot send
 * headers; nothing else does, so tokens stay out of ordinary URLs and logs.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { problem, READ_ONLY, respond, UNAUTHORIZED } from './problem.ts';

function sameToken(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, which timingSafeEqual needs, without leaking the length.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * @example
 * app.use('/api/*', guard({ token: process.env.SAGAFLOW_TOKEN, readOnly: true }));
 */
export function guard(options: { readonly token?: string | undefined; readonly readOnly?: boolean | undefined }): MiddlewareHandler {
  // An empty token was refused where it was configured (checkToken): here it would mean "no auth".
  const token = options.token;
  return async (c, next) => {
    if (token !== undefined) {
      const header = c.req.header('authorization') ?? '';
      const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
      const fromQuery = c.req.method === 'GET' && c.req.path.endsWith('/api/events') ? c.req.query('access_token') : undefined;
      const given = bearer ?? fromQuery;
      if (given === undefined || !sameToken(given, token)) {
        c.header('WWW-Authenticate', 'Bearer realm="sagaflow"');
        return respond(
          c,
          problem(401, UNAUTHORIZED, given === undefined ? 'this API needs a token: send Authorization: Bearer <token>' : 'the token is not valid'),
        );
      }
    }
    if (options.readOnly && c.req.method !== 'GET' && c.req.method !== 'HEAD' && c.req.method !== 'OPTIONS') {
      return respond(c, problem(403, READ_ONLY, 'this API is read-only (started with readOnly / --read-only): actions are disabled'));
    }
    await next();
  };
}
