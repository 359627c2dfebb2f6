/**
 * @module prisma/peers
 *
 * The optional peers `sagaflow/prisma` runs on, each imported the first time it is needed: importing
 * `sagaflow/prisma` loads none of them (no PGlite, no Prisma runtime, no globals), and a missing one is
 * a `MissingPeerError` with the install command.
 */
import { importPeer } from '../peers/optional-peers.ts';

/** `pg`, the PostgreSQL driver (CommonJS: its API is the default export). */
export async function loadPg(): Promise<typeof import('pg').default> {
  return (await importPeer('pg', 'prisma', () => import('pg'))).default;
}

/** Prisma's driver adapter over a `pg` pool. */
export async function loadPrismaPg(): Promise<typeof import('@prisma/adapter-pg').PrismaPg> {
  return (await importPeer('@prisma/adapter-pg', 'prisma', () => import('@prisma/adapter-pg'))).PrismaPg;
}

/** This package's generated Prisma client, which runs on `@prisma/client`'s runtime. */
export async function loadPrismaClient(): Promise<typeof import('./generated/client.ts').PrismaClient> {
  return (await importPeer('@prisma/client', 'prisma', () => import('./generated/client.ts'))).PrismaClient;
}

/** PGlite, the embedded PostgreSQL (about 150 ms to load, so only when a folder is opened). */
export async function loadPGlite(): Promise<typeof import('@electric-sql/pglite').PGlite> {
  return (await importPeer('@electric-sql/pglite', 'pglite', () => import('@electric-sql/pglite'))).PGlite;
}

/** Prisma's driver adapter over a PGlite database. */
export async function loadPrismaPGlite(): Promise<typeof import('pglite-prisma-adapter').PrismaPGlite> {
  return (await importPeer('pglite-prisma-adapter', 'pglite', () => import('pglite-prisma-adapter'))).PrismaPGlite;
}

/** The helpers that bind a driver adapter for Prisma's engines. */
export async function loadAdapterUtils(): Promise<typeof import('@prisma/driver-adapter-utils')> {
  return importPeer('@prisma/driver-adapter-utils', 'prisma', () => import('@prisma/driver-adapter-utils'));
}
