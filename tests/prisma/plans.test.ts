/**
 * The plans PostgreSQL keeps for the repository's statements. A prepared statement runs on one generic
 * plan per connection once it has run five times; planned while the tables were small, a hash join or
 * sequential scan there would read a whole table on every call as it grows (seen: 13 million instance
 * rows read in one benchmark run). So every parameterised statement is planned generically here on
 * empty, never-analysed tables, the worst case, and must reach the tables through their indexes.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as commandSql from '../../src/prisma/command-sql.ts';
import * as deadLetterSql from '../../src/prisma/dead-letter-sql.ts';
import * as outboxSql from '../../src/prisma/outbox-sql.ts';
import * as instanceSql from '../../src/prisma/sql.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';

const modules = { instanceSql, outboxSql, commandSql, deadLetterSql };

/** Every exported statement that takes parameters, by `module.NAME`. */
const statements = Object.entries(modules).flatMap(([module, exports]) =>
  Object.entries(exports)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && /\$1\b/.test(entry[1]))
    .map(([name, sql]) => ({ name: `${module}.${name}`, sql })),
);

function parameterCount(sql: string): number {
  return Math.max(...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

describe('generic plans of the repository statements, planned on empty tables', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('SET plan_cache_mode = force_generic_plan');
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('covers the hot path and the relay', () => {
    const names = statements.map((s) => s.name);
    for (const name of ['instanceSql.BATCH_COMMIT', 'instanceSql.FIND_BY_CORRELATION_BATCH', 'outboxSql.CLAIM_OUTBOX']) {
      expect(names).toContain(name);
    }
  });

  it.each(statements.map((s) => [s.name, s.sql] as const))('%s reaches every table through an index', async (name, sql) => {
    const statement = `plan_${name.replace('.', '_').toLowerCase()}`;
    await client.query(`PREPARE ${statement} AS ${sql}`);
    const nulls = Array.from({ length: parameterCount(sql) }, () => 'NULL').join(', ');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${statement}(${nulls})`);
    const plan = rows.map((r) => r['QUERY PLAN']);
    const tableScans = plan.filter((line) => /Seq Scan on sagaflow_/.test(line));
    expect(tableScans, plan.join('\n')).toEqual([]);
  });
});
