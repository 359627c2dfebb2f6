import { afterAll, beforeAll } from 'vitest';
import { createPrismaRepository } from '../../src/prisma/index.ts';
import { runReliabilityContract } from '../contract/reliability-contract.ts';
import { runRepositoryContract } from '../contract/repository-contract.ts';
import { runHistoryByTypeContract } from '../contract/history-by-type-contract.ts';
import { runFindContract } from '../contract/find-contract.ts';
import { createTestDatabase, truncateSagaTables, type TestDatabase } from '../helpers/postgres.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

for (const via of ['adapter', 'client', 'pg'] as const) {
  const make = async () => {
    await truncateSagaTables(db.url);
    // Enough connections for the contract's 16 racing writers to race in PostgreSQL.
    const repository = await createPrismaRepository({ databaseUrl: db.url, poolSize: 16, via, cache: false });
    return { repository, cleanup: () => repository.close() };
  };
  runRepositoryContract(`PostgreSQL (via ${via})`, make);
  runReliabilityContract(`PostgreSQL (via ${via})`, make);
  // The finding queries are the same SQL whichever way it is sent: once is enough.
  if (via === 'pg') runFindContract(`PostgreSQL (via ${via})`, make);
}

// The read-your-writes cache answers `findByCorrelation` from this repository's own commits: the
// contract must hold with it on.
const cached = async () => {
  await truncateSagaTables(db.url);
  const repository = await createPrismaRepository({ databaseUrl: db.url, poolSize: 16, cache: { maxInstances: 100 } });
  return { repository, cleanup: () => repository.close() };
};
runRepositoryContract('PostgreSQL (default: via adapter, instance cache on)', cached);
runReliabilityContract('PostgreSQL (default: via adapter, instance cache on)', cached);
runHistoryByTypeContract('PostgreSQL (default: via adapter, instance cache on)', cached);
