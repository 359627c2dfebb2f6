import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { afterAll, beforeAll } from 'vitest';
import { PrismaClient } from '../../src/prisma/generated/client.ts';
import { migrate, PrismaSagaRepository } from '../../src/prisma/index.ts';
import { runReliabilityContract } from '../contract/reliability-contract.ts';
import { runRepositoryContract } from '../contract/repository-contract.ts';
import { runHistoryByTypeContract } from '../contract/history-by-type-contract.ts';
import { runFindContract } from '../contract/find-contract.ts';

// One in-memory database for the file (starting PGlite and migrating takes seconds), emptied per test.
let db: PGlite;
beforeAll(async () => {
  db = await PGlite.create();
  await migrate({ pglite: db });
});
afterAll(() => db.close());

const make = async () => {
  await db.exec('TRUNCATE sagaflow_instances CASCADE');
  const client = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return { repository: new PrismaSagaRepository(client), cleanup: () => client.$disconnect() };
};
runRepositoryContract('PGlite', make);
runReliabilityContract('PGlite', make);
runHistoryByTypeContract('PGlite', make);
runFindContract('PGlite', make);
