/**
 * Prisma CLI configuration (Prisma 7 reads the connection URL from here, not from schema.prisma).
 *
 * `DATABASE_URL` is optional so that `prisma generate` works without a database; `prisma migrate deploy`
 * needs it. Without internet, use `npm run prisma:generate` and `sagaflow migrate` instead of the CLI
 * (see docs/persistence.md).
 */
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
