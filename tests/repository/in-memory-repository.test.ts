import { InMemorySagaRepository } from '../../src/repository/in-memory-saga-repository.ts';
import { runRepositoryContract } from '../contract/repository-contract.ts';

runRepositoryContract('in-memory', async () => ({ repository: new InMemorySagaRepository() }));
