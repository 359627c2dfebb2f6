import { InMemorySagaRepository } from '../../src/repository/in-memory-saga-repository.ts';
import { runReliabilityContract } from '../contract/reliability-contract.ts';
import { runRepositoryContract } from '../contract/repository-contract.ts';
import { runHistoryByTypeContract } from '../contract/history-by-type-contract.ts';
import { runFindContract } from '../contract/find-contract.ts';

runRepositoryContract('in-memory', async () => ({ repository: new InMemorySagaRepository() }));
runReliabilityContract('in-memory', async () => ({ repository: new InMemorySagaRepository() }));
runHistoryByTypeContract('in-memory', async () => ({ repository: new InMemorySagaRepository() }));
runFindContract('in-memory', async () => ({ repository: new InMemorySagaRepository() }));
