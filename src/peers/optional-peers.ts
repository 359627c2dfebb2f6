/**
 * @module peers/optional-peers
 *
 * The integrations' packages are optional peer dependencies: an install of the core brings none of them,
 * and each subpath loads its own when it is used. `importPeer` turns "this package is not installed" into a
 * `MissingPeerError` that names it and the install command, instead of a module-resolution stack.
 */
import { MissingPeerError } from '../errors/missing-peer-error.ts';

/**
 * The schema engine build that matches Prisma 7.10 (its version is the engine commit, so it is pinned
 * exactly, as in package.json's peerDependencies).
 */
export const SCHEMA_ENGINE_VERSION = '8.1.0-2.59be4fda12412a79eeb9c2ae727b6aa723593323';

/** What each integration needs, as one install command. */
export const PEER_GROUPS = Object.freeze({
  prisma: {
    feature: 'sagaflow/prisma',
    install: `npm install @prisma/client@7.10 @prisma/adapter-pg@7.10 pg @prisma/schema-engine-wasm@${SCHEMA_ENGINE_VERSION}`,
  },
  pglite: { feature: 'the embedded PGlite database', install: 'npm install @electric-sql/pglite pglite-prisma-adapter' },
  rabbitmq: { feature: 'sagaflow/rabbitmq', install: 'npm install amqplib' },
  redis: { feature: 'sagaflow/redis', install: 'npm install ioredis' },
  nats: { feature: 'sagaflow/nats', install: 'npm install @nats-io/transport-node @nats-io/jetstream @nats-io/kv' },
  http: { feature: 'sagaflow/http', install: 'npm install hono @hono/node-server' },
} as const);

export type PeerGroup = keyof typeof PEER_GROUPS;

/**
 * True when `error` is Node's "cannot find package `peer`" (ESM or CommonJS), and not a missing file
 * inside an installed package or some other package's absence.
 */
export function isMissingPackage(error: unknown, peer: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = error instanceof Error ? error.message : '';
  return message.includes(`'${peer}'`) || message.includes(`'${peer}/`) || message.includes(`"${peer}"`);
}

/**
 * Runs `load` (a dynamic `import()` of a peer, or of a module that imports peers, written out so bundlers
 * and type checkers see it) and maps a missing `peers` package to `MissingPeerError`. Other failures,
 * including a package missing that is not one of `peers`, pass through unchanged.
 *
 * @example
 * const pg = (await importPeer('pg', 'prisma', () => import('pg'))).default;
 * const { serveSagaflow } = await importPeer(['hono', '@hono/node-server'], 'http', () => import('./serve.ts'));
 * @throws MissingPeerError when one of `peers` is not installed
 */
export async function importPeer<T>(peers: string | readonly string[], group: PeerGroup, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing = (typeof peers === 'string' ? [peers] : peers).find((peer) => isMissingPackage(error, peer));
    if (missing === undefined) throw error;
    const { feature, install } = PEER_GROUPS[group];
    throw new MissingPeerError(missing, feature, install, { cause: error });
  }
}
