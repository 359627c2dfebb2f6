/**
 * @module http/serving-policy
 *
 * What a standalone server decides before it listens, so that it is safe by default: the token (given,
 * or read from a file so it stays out of `ps`; never empty), whether listening without one is allowed
 * (only on a loopback address, unless the caller says otherwise), and the host names it answers to.
 * Shared by `serveSagaflow` and `sagaflow serve`, which checks before it opens the database.
 */
import { readFile } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { InsecureServerError } from '../errors/insecure-server-error.ts';
import { InvalidTokenError } from '../errors/invalid-token-error.ts';

export interface ServingPolicyOptions {
  /** The interface to listen on, as given (`127.0.0.1`, `0.0.0.0`, `::`, a host name). */
  readonly host: string;
  readonly token?: string | undefined;
  /** A file holding the token (one trailing newline is ignored). Not together with `token`. */
  readonly tokenFile?: string | undefined;
  /** Named principals with their own tokens and roles (`http/principals`): they count as authentication. */
  readonly principals?: readonly unknown[] | undefined;
  /** Serve without a token on a non-loopback address (something in front authenticates). Default false. */
  readonly allowUnauthenticated?: boolean | undefined;
}

export interface ServingPolicy {
  /** The token every `/api/*` request needs, or `undefined` for none. */
  readonly token: string | undefined;
  /** True when `host` only ever reaches this machine. */
  readonly loopback: boolean;
  /** The addresses `host` resolves to (itself for an IP literal; none for a wildcard). */
  readonly addresses: readonly string[];
}

/** Hosts that name every interface: a server on one of them is reachable from the network. */
const WILDCARDS: ReadonlySet<string> = new Set(['', '0.0.0.0', '::', '[::]', '::0']);

/** True for an IP literal of this machine only: 127.0.0.0/8, `::1`, and IPv4-mapped 127.x. */
export function isLoopbackAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(ip) === 4) return ip.startsWith('127.');
  if (isIP(ip) === 6) return ip === '::1' || ip === '0:0:0:0:0:0:0:1' || ip.startsWith('::ffff:127.');
  return false;
}

/** The addresses `host` stands for: itself for an IP literal, none for a wildcard or a name that does not resolve. */
async function addressesOf(host: string): Promise<string[]> {
  if (WILDCARDS.has(host)) return [];
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return [bare];
  return (await lookup(bare, { all: true }).catch(() => [])).map((a) => a.address);
}

/** The token in `path`, without its trailing line break. */
async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidTokenError(`cannot read the token file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  const token = text.replace(/\r?\n$/, '');
  if (token.trim() === '') throw new InvalidTokenError(`the token file ${path} is empty`);
  return token;
}

/**
 * Checks `token` as `createSagaflowApi` takes it: absent is "no auth", but an empty or blank string is a
 * mistake (an unset variable expanded to nothing), never "no auth".
 */
export function checkToken(token: string | undefined, where: string = 'token'): string | undefined {
  if (token !== undefined && token.trim() === '') {
    throw new InvalidTokenError(`${where} is empty; give a real token (or leave it out on a loopback address)`);
  }
  return token;
}

/**
 * @example
 * const { token } = await servingPolicy({ host: '0.0.0.0', tokenFile: '/run/secrets/sagaflow' });
 * @throws InvalidTokenError for an empty token or token file, InsecureServerError for a network address without a token
 */
export async function servingPolicy(options: ServingPolicyOptions): Promise<ServingPolicy> {
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new InvalidTokenError('give either a token or a token file, not both (--token / SAGAFLOW_TOKEN and --token-file)');
  }
  const token = options.tokenFile !== undefined ? await readTokenFile(options.tokenFile) : checkToken(options.token, 'the token (--token / SAGAFLOW_TOKEN)');
  const addresses = await addressesOf(options.host);
  // A wildcard or a name that does not resolve is not loopback: safe by default.
  const loopback = addresses.length > 0 && addresses.every(isLoopbackAddress);
  const authenticated = token !== undefined || (options.principals?.length ?? 0) > 0;
  if (!loopback && !authenticated && options.allowUnauthenticated !== true) throw new InsecureServerError(options.host || '0.0.0.0');
  return { token, loopback, addresses };
}

/** `name` as a URL's hostname: lower case, IPv6 in brackets, no trailing dot. `undefined` if it is not a host name. */
export function normalizeHostname(name: string): string | undefined {
  const bracketed = isIP(name) === 6 ? `[${name}]` : name;
  try {
    const url = new URL(`http://${bracketed}/`);
    if (url.username || url.password || url.pathname !== '/' || url.port) return undefined;
    return url.hostname.replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/**
 * The host names a server bound to `host` answers to: it and the `addresses` it resolves to,
 * `localhost` and the loopback addresses, every interface's address when `host` is a wildcard, and
 * `extra` (names a proxy or DNS gives it). `'*'` in `extra` turns the check off (`undefined`).
 *
 * @example
 * allowedHostnames('127.0.0.1', ['127.0.0.1'], ['sagaflow.internal']); // ['localhost', '127.0.0.1', '[::1]', 'sagaflow.internal']
 */
export function allowedHostnames(host: string, addresses: readonly string[], extra: readonly string[] = []): readonly string[] | undefined {
  if (extra.includes('*')) return undefined;
  const names = ['localhost', '127.0.0.1', '::1', host, ...addresses, ...extra];
  if (WILDCARDS.has(host)) {
    for (const list of Object.values(networkInterfaces())) for (const nic of list ?? []) names.push(nic.address.replace(/%.*$/, ''));
  }
  return [...new Set(names.filter((n) => !WILDCARDS.has(n)).map(normalizeHostname).filter((n): n is string => n !== undefined))];
}
