/**
 * @module http/principals
 *
 * Who is calling the API. Each token names a principal with one role:
 * - `viewer`: reads (every GET, the event stream);
 * - `operator`: reads and acts (repairs, replays, retries, bulk actions) and may publish events;
 * - `ingress`: only publishes events through the ingress routes (a payment provider's webhook, another
 *   service): it can read nothing, so a leaked ingress token does not expose saga data.
 *
 * Principals come from a JSON file or the `SAGAFLOW_PRINCIPALS` environment variable:
 * `[{ "name": "alice", "role": "operator", "token": "…" }, { "name": "grafana", "role": "viewer", "tokenSha256": "<hex>" }]`.
 * A `tokenSha256` keeps the secret itself out of the file. Names appear in the audit trail, tokens never do.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidTokenError } from '../errors/invalid-token-error.ts';

export const Role = Object.freeze({ Viewer: 'viewer', Operator: 'operator', Ingress: 'ingress' } as const);
export type Role = (typeof Role)[keyof typeof Role];

/** What a route needs: to read, to act on instances and letters, or to publish events into sagas. */
export type Permission = 'read' | 'act' | 'ingest';

const GRANTS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(['read']),
  operator: new Set(['read', 'act', 'ingest']),
  ingress: new Set(['ingest']),
};

/** The caller of a request, as the audit trail records it. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
}

/** One configured principal: its secret as given, or only the SHA-256 of it (hex). */
export type PrincipalConfig = Principal & ({ readonly token: string } | { readonly tokenSha256: string });

export function allows(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$/;
const Entry = z.union([
  z.strictObject({ name: z.string().regex(NAME), role: z.enum(['viewer', 'operator', 'ingress']), token: z.string().trim().min(16) }),
  z.strictObject({ name: z.string().regex(NAME), role: z.enum(['viewer', 'operator', 'ingress']), tokenSha256: z.string().regex(/^[0-9a-fA-F]{64}$/) }),
]);
const Entries = z.array(Entry).min(1).max(1000);

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Checks principals as a file or the environment gives them: names unique and plain, tokens at least
 * 16 characters (a short one is guessable) and unique.
 *
 * @example
 * parsePrincipals('[{"name":"alice","role":"operator","token":"s3cret-s3cret-s3cret"}]', 'SAGAFLOW_PRINCIPALS');
 * @throws InvalidTokenError naming `where` and the entry that is wrong (never the token)
 */
export function parsePrincipals(text: string, where: string): readonly PrincipalConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidTokenError(`${where} is not JSON: expected [{ "name", "role", "token" | "tokenSha256" }, …]`);
  }
  const parsed = Entries.safeParse(json);
  if (!parsed.success) {
    // The issue's path and message only: the input itself may hold a token.
    const issue = parsed.error.issues[0]!;
    throw new InvalidTokenError(`${where}: ${issue.path.join('.') || 'the list'}: ${issue.message} (entries are { name, role: viewer|operator|ingress, token (16+ characters) | tokenSha256 })`);
  }
  checkUnique(parsed.data);
  return parsed.data;
}

function checkUnique(entries: readonly PrincipalConfig[]): void {
  const names = new Set<string>();
  const digests = new Set<string>();
  for (const entry of entries) {
    if (names.has(entry.name)) throw new InvalidTokenError(`two principals are named ${entry.name}`);
    names.add(entry.name);
    const digest = 'token' in entry ? sha256(entry.token).toString('hex') : entry.tokenSha256.toLowerCase();
    if (digests.has(digest)) throw new InvalidTokenError(`principal ${entry.name} has the same token as another one`);
    digests.add(digest);
  }
}

/** Principals from a JSON file (see the module's doc). */
export async function loadPrincipalsFile(path: string): Promise<readonly PrincipalConfig[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidTokenError(`cannot read the principals file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  return parsePrincipals(text, `the principals file ${path}`);
}

/** Finds the principal a presented token belongs to, in time independent of which one matched. */
export interface Authenticator {
  /** `undefined`: no principal holds this token. */
  principalFor(token: string): Principal | undefined;
  readonly size: number;
}

/**
 * @example
 * const auth = authenticator([{ name: 'alice', role: 'operator', token: 's3cret-s3cret-s3cret' }]);
 * auth.principalFor('s3cret-s3cret-s3cret'); // { name: 'alice', role: 'operator' }
 */
export function authenticator(principals: readonly PrincipalConfig[]): Authenticator {
  checkUnique(principals);
  const table = principals.map((p) => ({
    principal: Object.freeze({ name: p.name, role: p.role }),
    digest: 'token' in p ? sha256(p.token) : Buffer.from(p.tokenSha256, 'hex'),
  }));
  return {
    size: table.length,
    principalFor(token) {
      const given = sha256(token);
      let found: Principal | undefined;
      // Compare against every entry, so the time taken does not tell which one (or whether one) matched.
      for (const entry of table) if (timingSafeEqual(given, entry.digest) && found === undefined) found = entry.principal;
      return found;
    },
  };
}
