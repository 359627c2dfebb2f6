import { afterAll, beforeAll } from 'vitest';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, truncateSagaTables, type TestDatabase } from '../helpers/postgres.ts';
import { describePrismaRepository } from './repository-suite.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describePrismaRepository('PostgreSQL', async () => {
  await truncateSagaTables(db.url);
  const repository = await createPrismaRepository({ databaseUrl: db.url, poolSize: 4 });
  return { repository, cleanup: () => repository.close() };
});
