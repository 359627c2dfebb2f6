import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../../src/prisma/generated/client.ts';
import { createPrismaRepository, MissingTablesError, PrismaSagaRepository } from '../../src/prisma/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { insertOf, makeInstance, updateOf } from '../helpers/records.ts';

describe('createPrismaRepository without a URL', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sagaflow-embedded-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates, migrates and reopens an embedded database in a folder', async () => {
    const folder = join(dir, 'nested', 'db');
    const instance = makeInstance({ data: { kept: true } });
    const first = await createPrismaRepository({ directory: folder });
    await first.commit(insertOf(instance));
    await first.close();

    const second = await createPrismaRepository({ directory: folder });
    try {
      expect(await second.findById(instance.id)).toEqual(instance);
      expect(await second.history(instance.id)).toHaveLength(1);
    } finally {
      await second.close();
    }
    // Two embedded databases made and migrated: seconds on a quiet machine, more than 30 under a full suite.
  }, 120_000);

  it('leaves migrations to you with migrate: false, and says so when the tables are missing', async () => {
    await expect(createPrismaRepository({ directory: join(dir, 'bare'), migrate: false })).rejects.toBeInstanceOf(
      MissingTablesError,
    );
  });
});

describe('a PrismaClient the application owns', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url }) });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('is used as given and left connected by close()', async () => {
    const repository = new PrismaSagaRepository(prisma);
    const instance = makeInstance();
    await repository.commit(insertOf(instance));
    await repository.close();
    // The typed model API of the same client sees the row: our models are ordinary Prisma models.
    const row = await prisma.sagaflowInstance.findUnique({ where: { id: instance.id } });
    expect(row).toMatchObject({ correlationId: instance.correlationId, version: 1, dataVersion: 1 });
  });

  it("joins the application's interactive transaction when given the transaction client", async () => {
    const instance = makeInstance();
    await expect(
      prisma.$transaction(async (tx) => {
        const repository = new PrismaSagaRepository(tx);
        await repository.commit(insertOf(instance));
        await repository.commit(updateOf(instance).commit);
        expect((await repository.findById(instance.id))!.version).toBe(2);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await new PrismaSagaRepository(prisma).findById(instance.id)).toBeNull();
  });
});
